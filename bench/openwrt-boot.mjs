// An OpenWrt root filesystem tarball on the harness's kernel, beside the default image, in
// one run: cold boot split into its phases (QEMU start to the agent answering over the
// console; to the system up: procd's "init complete", lan up, fw4 run; to the lab's
// addresses configured, which is where a snapshot is saved) and snapshot restore to an
// answering agent (clock and RNG reset included). Root, after `npm run setup`:
//   node bench/openwrt-boot.mjs [ROOTFS.tar.gz]     (ROUNDS=3, SMP=1,2 to compare vCPU counts)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadDefaultImage } from '../harness/dist/images/default-image.js';
import { parseImageRef } from '../harness/dist/images/image-ref.js';
import { resolveImage } from '../harness/dist/images/resolve.js';
import { loadProfile } from '../harness/dist/targets/qemu-profile.js';
import { bootQemu } from '../harness/dist/targets/qemu.js';
import { openwrtLogin } from '../harness/dist/targets/openwrt-login.js';
import { OpenWrtPlatform } from '../harness/dist/platforms/openwrt.js';
import { DutBooter } from '../harness/dist/run/dut-boot.js';
import { bootOpenWrt } from '../harness/dist/run/openwrt-boot.js';
import { SnapshotStore } from '../harness/dist/snapshots/store.js';
import { Lab } from '../harness/dist/lab/lab.js';

const here = new URL('.', import.meta.url).pathname;
const tarball = resolve(process.argv[2] ?? join(here, '../../shared/openwrt/openwrt-x86-64-rootfs.tar.gz'));
const rounds = Number(process.env.ROUNDS ?? 3);
const smps = (process.env.SMP ?? '').split(',').filter(Boolean).map(Number);
const dir = mkdtempSync(join(tmpdir(), 'hil-bench-owrt-'));
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const s = (ms) => +(ms / 1000).toFixed(2);
const accel = { accel: 'tcg', reason: 'bench' };
const resolved = await resolveImage(parseImageRef(tarball, process.cwd()));
const base = await loadProfile(resolved.profile);
const image = { name: 'openwrt-rootfs', key: resolved.image.key, kernel: resolved.image.kernel, initrd: resolved.image.initrd, disks: [] };
const lab = await Lab.create('bowrt', 0);
const opts = (profile, name) => ({ name, profile, accel, netns: lab.names.ns.dut, taps: lab.names.taps, transcript: join(dir, `${name}.log`), bootTimeoutMs: 240000, commandTimeoutMs: 60000 });
const out = {};
try {
  await lab.wireHosts();
  // Cold, phase by phase, for each vCPU count asked (the profile's own by default).
  for (const smp of smps.length ? smps : [base.smp]) {
    const profile = { ...base, smp };
    const phases = { agentMs: [], systemUpMs: [], labConfiguredMs: [] };
    for (let i = 0; i < rounds; i++) {
      const t0 = performance.now();
      const dut = await bootQemu({ ...opts(profile, 'hil-bench-owrt'), image, login: openwrtLogin });
      try {
        phases.agentMs.push(performance.now() - t0);
        const p = await OpenWrtPlatform.detect(dut.shell);
        await p.waitSystemReady(dut.shell, 240000);
        phases.systemUpMs.push(performance.now() - t0);
        await p.configureNetwork(dut.shell);
        phases.labConfiguredMs.push(performance.now() - t0);
      } finally {
        await dut.stop();
      }
    }
    out[`openwrt cold, ${smp} vCPU`] = Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, { median: s(median(v)), runs: v.map(s) }]));
  }
  // Warm: the first boot saves the state; then restores.
  const store = new SnapshotStore(join(dir, 'snaps'));
  const booter = new DutBooter(store);
  const first = await bootOpenWrt(booter, resolved, opts(base, 'hil-bench-owrt'));
  await first.dut.stop();
  const restores = [];
  for (let i = 0; i < Math.max(rounds, 5); i++) {
    const r = await bootOpenWrt(booter, resolved, opts(base, 'hil-bench-owrt'));
    restores.push(r.boot.ms);
    await r.dut.stop();
  }
  out['openwrt restore'] = { median: s(median(restores)), runs: restores.map(s), saveMs: first.boot.snapshot.saveMs };
  // The default image, the same way (no lab: its readiness needs none).
  const def = await loadDefaultImage();
  const dprofile = await loadProfile('x86-64');
  const dopts = { ...opts(dprofile, 'hil-bench-def'), image: def, netns: undefined, taps: {} };
  const dcold = [];
  for (let i = 0; i < rounds; i++) {
    const r = await new DutBooter(null).boot(dopts);
    dcold.push(r.boot.ms);
    await r.dut.stop();
  }
  const dbooter = new DutBooter(new SnapshotStore(join(dir, 'dsnaps')));
  await (await dbooter.boot(dopts)).dut.stop();
  const dwarm = [];
  for (let i = 0; i < Math.max(rounds, 5); i++) {
    const r = await dbooter.boot(dopts);
    dwarm.push(r.boot.ms);
    await r.dut.stop();
  }
  out['default cold'] = { median: s(median(dcold)), runs: dcold.map(s) };
  out['default restore'] = { median: s(median(dwarm)), runs: dwarm.map(s) };
} finally {
  await lab.destroy();
  rmSync(dir, { recursive: true, force: true });
}
console.log(JSON.stringify(out, null, 1));
