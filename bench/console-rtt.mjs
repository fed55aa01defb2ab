// The console round trip, measured side by side on one booted DUT (root, after setup):
//   agent: median of 100 `true` through the harness's command agent (frames, ids, exit codes)
//   floor: median of 100 lines through a plain read/echo loop on the same serial line (what a
//          pexpect loop against a shell measures: a line in, the same line back), over the same pty
// in five blocks of 20 of each, alternating, each after five of its kind that are not counted.
// Prints one JSON line; PROFILE=x86-64 (a qemu/ profile) and APPEND=... (kernel arguments in
// place of the profile's) compare consoles, e.g. APPEND="console=ttyS0 quiet" for 9600 baud.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDefaultImage } from '../harness/dist/images/default-image.js';
import { loadProfile } from '../harness/dist/targets/qemu-profile.js';
import { bootQemu } from '../harness/dist/targets/qemu.js';

const N = 100;
const BLOCKS = 5;
const WARM = 5;
const profile = await loadProfile(process.env.PROFILE ?? 'x86-64');
if (process.env.APPEND) profile.append = process.env.APPEND;
// The transcript is the bench's own scratch: nothing reads it after.
const scratch = mkdtempSync(join(tmpdir(), 'hil-bench-rtt-'));
const dut = await bootQemu({ name: 'hil-bench-rtt', profile, image: await loadDefaultImage(),
  accel: { accel: 'tcg', reason: 'bench' }, taps: {}, transcript: join(scratch, 'console.log'), bootTimeoutMs: 60000, commandTimeoutMs: 5000 });
const median = (t) => +t.slice().sort((a, b) => a - b)[Math.floor(t.length / 2)].toFixed(2);
const p90 = (t) => +t.slice().sort((a, b) => a - b)[Math.floor(t.length * 0.9)].toFixed(2);
try {
  const agent = [];
  const floor = [];
  let seen = '';
  // Blocks of each, alternating: whatever else the host does during the run falls on both alike.
  for (let block = 0; block < BLOCKS; block++) {
    for (let i = -WARM; i < N / BLOCKS; i++) {
      const ms = (await dut.shell.run('true')).durationMs;
      if (i >= 0) agent.push(ms);
    }

    // The loop reads the console device the agent writes to ($$: the agent's own stdout, the
    // console; the command's own stdin is /dev/null), until a line "q".
    const loop = dut.shell.run('c=$(readlink /proc/$$/fd/1); while IFS= read -r l; do [ "$l" = q ] && break; echo "$l"; done < "$c"', { timeoutMs: 120000 });
    const off = dut.console.onData((d) => (seen += d));
    const echo = async (line) => {
      const t = performance.now();
      seen = '';
      dut.console.write(`${line}\n`);
      while (!seen.includes(`${line}\n`)) await new Promise((r) => setImmediate(r));
      return performance.now() - t;
    };
    // Until the loop answers: its first reads race the command's start.
    for (let i = 0; ; i++) {
      if (i === 50) throw new Error(`the echo loop never answered: ${seen.slice(-200)}`);
      const t = performance.now();
      seen = '';
      dut.console.write(`ready${block}-${i}\n`);
      while (!seen.includes(`ready${block}-${i}\n`) && performance.now() - t < 200) await new Promise((r) => setTimeout(r, 1));
      if (seen.includes(`ready${block}-${i}\n`)) break;
    }
    // As long as the agent's command lines ("1a P true": 10 bytes with the newline): the UART
    // interrupts at its FIFO trigger (8 bytes) and for the rest after a timeout of 4 characters.
    // The first lines after the loop starts took several times as long (with them counted,
    // the floor's medians were 0.9-1.2 ms against 0.5-0.9 ms without): WARM of each go first.
    for (let i = -WARM; i < N / BLOCKS; i++) {
      const ms = await echo(`x${String(block * N + i + WARM).padStart(8, '0')}`);
      if (i >= 0) floor.push(ms);
    }
    off();
    dut.console.write('q\n');
    await loop;
  }
  console.log(JSON.stringify({
    profile: profile.name, append: profile.append.split(' ')[0], bootMs: Math.round(dut.bootMs),
    agentMedianMs: median(agent), agentP90Ms: p90(agent), floorMedianMs: median(floor), floorP90Ms: p90(floor),
    ratio: +(median(agent) / median(floor)).toFixed(2),
  }));
} finally {
  await dut.stop();
  rmSync(scratch, { recursive: true, force: true });
}
