// What the guest's CPU model and kernel arguments cost under TCG: the default image booted
// with each variant given ("CPU" or "CPU|extra kernel arguments"), then the guest commands a
// scenario runs most, each timed ROUNDS times through the agent (median, ms), variant by
// variant, twice over, in the same sitting (root, after setup):
//   node bench/cpu-model.mjs max 'max|mitigations=off' 'max,-erms,-fsrm,-la57|mitigations=off'
// Prints one JSON line per variant: boot times, the CPU flags the guest kernel saw and its
// Spectre v2 mode, medians.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDefaultImage } from '../harness/dist/images/default-image.js';
import { loadProfile } from '../harness/dist/targets/qemu-profile.js';
import { bootQemu } from '../harness/dist/targets/qemu.js';

const models = process.argv.slice(2);
if (!models.length) {
  process.stderr.write("usage: node bench/cpu-model.mjs VARIANT... (CPU or 'CPU|kernel arguments', e.g. max 'max|mitigations=off')\n");
  process.exit(2);
}
const ROUNDS = Number(process.env.ROUNDS ?? 15);
const COMMANDS = {
  true: 'true',
  'fork+exec': '/bin/true',
  cat_conntrack: 'cat /proc/net/nf_conntrack',
  nft_json: '/usr/sbin/nft -j list ruleset >/dev/null',
  fw4_print: '/sbin/fw4 print >/dev/null 2>&1',
  ip_batch: "printf '%s\\n' 'link show' 'addr show' 'route show' | /usr/sbin/ip -batch - >/dev/null",
  dd_64M: 'dd if=/dev/zero of=/dev/null bs=64k count=1024 2>/dev/null',
};
const median = (t) => +t.slice().sort((a, b) => a - b)[Math.floor(t.length / 2)].toFixed(1);
const image = await loadDefaultImage();

async function boot(variant) {
  const [cpu, extra] = variant.split('|');
  const profile = await loadProfile('x86-64');
  profile.cpu = { ...profile.cpu, tcg: cpu };
  if (extra) profile.append = `${profile.append} ${extra}`;
  return bootQemu({ name: `hil-bench-cpu-${process.pid}`, profile, image,
    accel: { accel: 'tcg', reason: 'bench' }, taps: {}, transcript: join(tmpdir(), `hil-bench-cpu-${process.pid}.log`), bootTimeoutMs: 120000, commandTimeoutMs: 30000 });
}

const results = new Map(models.map((m) => [m, { bootMs: [], flags: '', times: Object.fromEntries(Object.keys(COMMANDS).map((k) => [k, []])) }]));
// Two boots per model, alternating, so a slower stretch of the host falls on both.
for (let pass = 0; pass < 2; pass++) {
  for (const model of models) {
    const r = results.get(model);
    const dut = await boot(model);
    try {
      r.bootMs.push(Math.round(dut.bootMs));
      r.flags = (await dut.shell.run("grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\\n' | grep -xE 'erms|fsrm|rep_good|la57|pcid|avx2|avx512f' | tr '\\n' ' '")).stdout.trim();
      r.spectreV2 = (await dut.shell.run('cat /sys/devices/system/cpu/vulnerabilities/spectre_v2')).stdout.trim();
      for (let i = 0; i < Math.ceil(ROUNDS / 2); i++) {
        for (const [k, c] of Object.entries(COMMANDS)) r.times[k].push((await dut.shell.run(c)).durationMs);
      }
    } finally {
      await dut.stop();
    }
  }
}
for (const [model, r] of results) {
  console.log(JSON.stringify({ variant: model, bootMs: r.bootMs, flags: r.flags, spectreV2: r.spectreV2, medianMs: Object.fromEntries(Object.entries(r.times).map(([k, t]) => [k, median(t)])) }));
}
