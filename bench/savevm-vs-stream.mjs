// The alternative to the migration stream, measured: savevm into a qcow2 attached to the DUT, then per
// parallel run a copy of that qcow2 (an overlay cannot see its backing file's internal snapshots) and
// -loadvm until the agent answers. Compare with bench/boot-restore.mjs (the stream the harness uses).
import { execa } from 'execa';
import { rmSync, mkdirSync } from 'node:fs';
import { loadDefaultImage } from '../harness/dist/images/default-image.js';
import { loadProfile } from '../harness/dist/targets/qemu-profile.js';
import { bootQemu } from '../harness/dist/targets/qemu.js';
import { Qmp } from '../harness/dist/targets/qmp.js';
const d = '/tmp/savevm-exp'; rmSync(d, { recursive: true, force: true }); mkdirSync(d);
await execa('qemu-img', ['create', '-q', '-f', 'qcow2', `${d}/state.qcow2`, '64M']);
const image = { ...(await loadDefaultImage()) };
const profile = await loadProfile('x86-64');
const base = { name: 'dev-savevm', profile, accel: { accel: 'tcg', reason: 'x' }, taps: {}, transcript: `${d}/c.log`, bootTimeoutMs: 60000, commandTimeoutMs: 5000 };
const dut = await bootQemu({ ...base, image: { ...image, disks: [`${d}/state.qcow2`] }, qmpSocket: `${d}/q.sock` });
const q = await Qmp.connect(`${d}/q.sock`);
let t = performance.now();
await q.execute('human-monitor-command', { 'command-line': 'savevm ready' });
console.log('savevm ms', (performance.now() - t).toFixed(0));
q.close(); await dut.stop();
const { stdout } = await execa('du', ['-sh', `${d}/state.qcow2`]); console.log('qcow2 with snapshot', stdout.split('\t')[0]);
for (let i = 0; i < 3; i++) {
  t = performance.now();
  await execa('cp', ['--reflink=auto', '--sparse=always', `${d}/state.qcow2`, `${d}/run${i}.qcow2`]);
  const copyMs = performance.now() - t;
  // -loadvm via the args: append to the qemu command through a profile-less spawn.
  const t2 = performance.now();
  const p = execa('qemu-system-x86_64', ['-machine', 'pc', '-accel', 'tcg', '-cpu', 'max', '-m', '256', '-smp', '1', '-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot',
    '-chardev', 'stdio,id=con,signal=off', '-serial', 'chardev:con', '-device', 'vmgenid,guid=auto', '-kernel', image.kernel, '-initrd', image.initrd,
    '-append', `${profile.append} panic=1`, '-drive', `file=${d}/run${i}.qcow2,format=qcow2,if=none,id=disk0`, '-device', 'virtio-blk-pci,drive=disk0', '-loadvm', 'ready'], { reject: false, stdin: 'pipe' });
  let out = '';
  p.stdout.on('data', (b) => (out += b));
  await new Promise((res) => { const iv = setInterval(() => { p.stdin.write(`z${i}x P echo hi\n`); if (out.includes('hi')) { clearInterval(iv); res(); } }, 5); });
  console.log(`run ${i}: copy ${copyMs.toFixed(0)} ms + loadvm to answer ${(performance.now() - t2).toFixed(0)} ms`);
  p.kill('SIGKILL'); await p.catch(() => {});
}
rmSync(d, { recursive: true, force: true });
