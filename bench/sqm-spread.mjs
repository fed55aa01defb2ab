// The spread behind the SQM expectations' defaults (README: SQM and logging caveats): the
// four SQM scenarios and a copy of sqm-no-offload with its shaper ten times too fast (200M),
// ROUNDS times each, through `hil run`; prints the range of each figure over the rounds.
// Root, after npm run setup:   ROUNDS=5 node bench/sqm-spread.mjs
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const rounds = Number(process.env.ROUNDS ?? 5);
const root = new URL('..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'hil-sqm-spread-'));
const tooFast = join(dir, 'sqm-too-fast.yaml');
writeFileSync(tooFast, readFileSync(join(root, 'scenarios/sqm-no-offload.yaml'), 'utf8').replace(/20M/g, '200M').replace('name: sqm-no-offload', 'name: sqm-too-fast'));
const files = ['sqm-no-offload', 'sqm-sw-offload', 'sqm-hw-offload', 'sqm-ingress-sw-offload'].map((n) => join(root, 'scenarios', `${n}.yaml`)).concat(tooFast);

const seen = new Map(); // scenario -> figure -> values
const add = (s, k, v) => {
  if (v === null || v === undefined) return;
  const m = seen.get(s) ?? new Map();
  seen.set(s, m);
  m.set(k, [...(m.get(k) ?? []), v]);
};
for (let i = 0; i < rounds; i++) {
  const out = join(dir, `round-${i}`);
  try {
    execFileSync('node', [join(root, 'harness/bin/hil.js'), 'run', ...files, '--jobs', '1', '--out', out], { stdio: 'ignore', env: { ...process.env, CI: 'true' } });
  } catch { /* sqm-too-fast fails by design */ }
  for (const s of JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')).scenarios) {
    add(s.name, 'verdict', s.status);
    for (const d of s.sqm?.directions ?? []) {
      add(s.name, `${d.direction} Mbit/s`, d.throughputBitsPerSecond / 1e6);
      if (d.shaper && d.trafficBytes) add(s.name, `${d.direction} shaper saw %`, (100 * d.shaper.bytes) / d.trafficBytes);
    }
    add(s.name, 'idle median ms', s.latency?.idle.medianMs);
    add(s.name, 'loaded median ms', s.latency?.loaded.medianMs);
    add(s.name, 'loaded p95 ms', s.latency?.loaded.p95Ms);
  }
}
for (const [s, m] of seen) {
  const parts = [...m].map(([k, v]) => (typeof v[0] === 'number'
    ? `${k} ${Math.min(...v).toFixed(1)}-${Math.max(...v).toFixed(1)}`
    : `${k} ${[...new Set(v)].join('/')}`));
  console.log(`${s} (${rounds} rounds): ${parts.join(', ')}`);
}
