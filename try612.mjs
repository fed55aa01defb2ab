import { loadDefaultImage } from './harness/dist/images/default-image.js';
import { loadProfile } from './harness/dist/targets/qemu-profile.js';
import { bootQemu } from './harness/dist/targets/qemu.js';
import { Lab } from './harness/dist/lab/lab.js';
const image = await loadDefaultImage(process.argv[2] ?? '6.12');
const profile = await loadProfile('x86-64');
const lab = await Lab.create('try', 0);
try {
  const dut = await bootQemu({ name: 'hil-try', profile, image, flavour: 'upstream', accel: { accel: 'tcg', reason: 'try' }, netns: lab.names.ns.dut,
    taps: lab.names.taps, transcript: `/tmp/try/c.log`, bootTimeoutMs: 60000, commandTimeoutMs: 20000 });
  try {
    for (const c of process.argv.slice(3)) { const r = await dut.shell.run(c); console.log(`$ ${c}\n${r.stdout}${r.stderr}[${r.exitCode}]`); }
  } finally { await dut.stop(); }
} finally { await lab.destroy(); }
