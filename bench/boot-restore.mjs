// Cold boot to ready vs snapshot restore to ready (QEMU start to a shell that answers,
// restore including the clock and RNG reset), through the harness's own DutBooter.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDefaultImage } from '../harness/dist/images/default-image.js';
import { loadProfile } from '../harness/dist/targets/qemu-profile.js';
import { DutBooter } from '../harness/dist/run/dut-boot.js';
import { SnapshotStore } from '../harness/dist/snapshots/store.js';

const rounds = Number(process.env.ROUNDS ?? 5);
const dir = mkdtempSync(join(tmpdir(), 'hil-bench-snap-'));
const image = await loadDefaultImage();
const profile = await loadProfile('x86-64');
const opts = { name: 'hil-bench-boot', profile, image, accel: { accel: 'tcg', reason: 'bench' }, taps: {}, transcript: join(dir, 'console.log'), bootTimeoutMs: 60000, commandTimeoutMs: 5000 };
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const time = async (booter) => {
  const { dut, boot } = await booter.boot(opts);
  await dut.stop();
  return boot;
};
const cold = [];
for (let i = 0; i < rounds; i++) cold.push((await time(new DutBooter(null))).ms);
const warm = new DutBooter(new SnapshotStore(join(dir, 'snaps')));
const first = await time(warm);
const restore = [];
for (let i = 0; i < rounds; i++) restore.push((await time(warm)).ms);
const size = (await new SnapshotStore(join(dir, 'snaps')).list())[0]?.sizeBytes ?? 0;
console.log(JSON.stringify({ coldMedianMs: median(cold), cold, saveMs: first.snapshot.saveMs, stateMB: +(size / 1048576).toFixed(1), restoreMedianMs: median(restore), restore }));
rmSync(dir, { recursive: true, force: true });
