// What each kernel series does with the same scenarios, measured in one sitting: the shipped
// offload scenarios run with `hil run --kernel K` for every series, one after the other, and
// one table per kernel is printed (markdown, for the README): the offload state reached,
// whether firewall4 fell back, the flows' states, the router ports the traffic crossed, the
// simulated engine's hits and the throughput of each stream. Root, after `npm run setup -- --kernel 6.12`:
//   node bench/kernels.mjs            (KERNELS=6.1,6.12 ROUNDS=1)
// Each round is its own run (the first boots cold and saves the DUT, later ones restore);
// throughput is the median over rounds.
import { execa } from 'execa';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const kernels = (process.env.KERNELS ?? '6.1,6.12').split(',');
const rounds = Number(process.env.ROUNDS ?? 1);
const names = ['no-offload', 'sw-offload', 'udp-offload', 'ipv6-offload', 'hw-offload', 'hw-offload-ipv6', 'hw-fallback', 'hw-no-device-openwrt-kernel', 'netdevsim-fallback'];
const files = names.map((n) => join(root, 'scenarios', `${n}.yaml`));

const median = (xs) => {
  const s = xs.filter((x) => x !== null).sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : null;
};
const gbit = (b) => (b === null ? '-' : `${(b / 1e9).toFixed(2)}`);
const fold = (xs) => {
  const counts = new Map();
  for (const x of xs) counts.set(x, (counts.get(x) ?? 0) + 1);
  return [...counts].map(([x, n]) => (n > 1 ? `${n} × ${x}` : x)).join(', ') || '-';
};

const snaps = await mkdtemp(join(tmpdir(), 'hil-bench-kernels-'));
try {
  for (const k of kernels) {
    const runs = [];
    for (let r = 0; r < rounds; r++) {
      const out = await mkdtemp(join(tmpdir(), `hil-bench-kernel-${k}-`));
      process.stderr.write(`kernels: ${k} round ${r + 1}/${rounds}\n`);
      await execa('node', [join(root, 'harness/bin/hil.js'), 'run', ...files, '--kernel', k, '--jobs', '1', '--out', out], { reject: false, env: { HIL_SNAPSHOT_DIR: snaps } });
      runs.push(JSON.parse(await readFile(join(out, 'report.json'), 'utf8')));
      await rm(out, { recursive: true, force: true });
    }
    const first = runs[0].scenarios.find((s) => s.boot?.kernel)?.boot.kernel;
    console.log(`\n**Linux ${k}** (${first?.package ?? '?'} ${first?.version ?? ''}, uname -r ${first?.release ?? '?'}; ${rounds} round(s))\n`);
    console.log('| scenario | verdict | offload (requested -> in force) | fallback warned | flows | router ports | engine hits | Gbit/s per stream |');
    console.log('|---|---|---|---|---|---|---|---|');
    for (const name of names) {
      const all = runs.map((r) => r.scenarios.find((s) => s.name === name)).filter(Boolean);
      const s = all[0];
      if (!s) continue;
      const verdicts = fold(all.map((x) => x.status));
      const streams = s.traffic.map((_, i) => gbit(median(all.map((x) => x.traffic[i]?.bitsPerSecond ?? null))));
      const hits = s.engine ? median(all.map((x) => x.engine?.hits ?? null)) : null;
      // The flowtable's devices are the router's ports: virtio, the engine's lan0/wan0, or netdevsim carrying the traffic.
      const ports = s.netdevsim?.carrying ? `${s.netdevsim.carrying.lan}/${s.netdevsim.carrying.wan} (netdevsim)` : s.engine ? 'lan0/wan0 (engine)' : 'eth0/eth1 (virtio)';
      console.log(`| ${name} | ${verdicts} | ${s.offload.requested} -> ${s.offload.effective ?? '?'} | ${s.offload.fallback ? 'yes' : 'no'} | ${fold(s.flows.map((f) => f.state))} | ${ports} | ${hits ?? '-'} | ${streams.join(', ') || '-'} |`);
    }
  }
} finally {
  await rm(snaps, { recursive: true, force: true });
}
