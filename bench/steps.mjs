// Where a run's time went: each step's duration (the report's `steps`) summed by name over
// its scenarios, the scenarios' own durations summed (teardown included), and the run's wall.
//   node bench/steps.mjs OUT/report.json [...]
import { readFile } from 'node:fs/promises';

const files = process.argv.slice(2);
if (!files.length) {
  process.stderr.write('usage: node bench/steps.mjs REPORT.json...\n');
  process.exit(2);
}
for (const f of files) {
  const r = JSON.parse(await readFile(f, 'utf8'));
  const sums = new Map();
  for (const s of r.scenarios) for (const x of s.steps) sums.set(x.name, (sums.get(x.name) ?? 0) + x.durationMs);
  const steps = r.scenarios.reduce((a, s) => a + s.steps.reduce((b, x) => b + x.durationMs, 0), 0);
  const scenarios = r.scenarios.reduce((a, s) => a + s.durationMs, 0);
  const s1 = (ms) => `${(ms / 1000).toFixed(1)} s`;
  console.log(`${f}: ${r.scenarios.length} scenarios, ${r.host.jobs} at a time, wall ${s1(r.durationMs)}`);
  for (const [name, ms] of [...sums].sort((a, b) => b[1] - a[1])) console.log(`  ${name.padEnd(10)} ${s1(ms).padStart(8)}`);
  console.log(`  ${'teardown'.padEnd(10)} ${s1(scenarios - steps).padStart(8)}  (the scenarios' durations less their steps)`);
  console.log(`  ${'all'.padEnd(10)} ${s1(scenarios).padStart(8)}`);
}
