// Median console round trip of `true` over the DUT's serial console (50 commands).
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDefaultImage } from '../harness/dist/images/default-image.js';
import { loadProfile } from '../harness/dist/targets/qemu-profile.js';
import { bootQemu } from '../harness/dist/targets/qemu.js';

const dut = await bootQemu({ name: 'hil-bench-rtt', profile: await loadProfile('x86-64'), image: await loadDefaultImage(),
  accel: { accel: 'tcg', reason: 'bench' }, taps: {}, transcript: join(tmpdir(), 'hil-bench-rtt.log'), bootTimeoutMs: 60000, commandTimeoutMs: 5000 });
const t = [];
for (let i = 0; i < 50; i++) t.push((await dut.shell.run('true')).durationMs);
t.sort((a, b) => a - b);
console.log(JSON.stringify({ bootMs: Math.round(dut.bootMs), rttMedianMs: +t[25].toFixed(2), rttP90Ms: +t[45].toFixed(2) }));
await dut.stop();
