// Adaptive traffic against fixed durations, in one sitting: the shipped suite (warm: one run
// first saves the DUTs, every round after restores them) ROUNDS times with adaptive traffic and
// ROUNDS times with `--fixed-duration`, interleaved. Prints, as markdown for the README, each
// scenario's verdicts, flow states and traffic time in both modes, whether they agree, and the
// suites' wall times; exits 1 if any verdict or flow state differs. Every failed assertion is
// told on stderr as it comes, with what it found (the reports themselves are not kept).
// Root, after `npm run setup`:
//   node bench/verdicts.mjs              (ROUNDS=5; SCENARIOS=path,... for fewer)
import { execa } from 'execa';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const rounds = Number(process.env.ROUNDS ?? 5);
const targets = (process.env.SCENARIOS ?? join(root, 'scenarios')).split(',');
const modes = { adaptive: [], fixed: ['--fixed-duration'] };

const median = (xs) => {
  const s = xs.filter((x) => x != null).sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : null;
};
const fold = (xs) => {
  const counts = new Map();
  for (const x of xs) counts.set(x, (counts.get(x) ?? 0) + 1);
  return [...counts].map(([x, n]) => (n > 1 ? `${n} × ${x}` : x)).join(', ') || '-';
};
/** A scenario's verdict: its status and each assertion's outcome, as run.test compares them. */
const verdict = (s) => `${s.status}${s.assertions.filter((a) => !a.passed).map((a) => ` !${a.name}`).join('')}`;
const flowStates = (s) => fold(s.flows.map((f) => (f.matched ? f.state : 'untracked')).sort());
const trafficMs = (s) => s.steps.find((x) => x.name === 'traffic')?.durationMs ?? null;

async function suite(mode, snaps, label = mode) {
  const out = await mkdtemp(join(tmpdir(), `hil-bench-verdicts-${mode}-`));
  const t = performance.now();
  await execa('node', [join(root, 'harness/bin/hil.js'), 'run', ...targets, ...modes[mode], '--out', out], { reject: false, env: { HIL_SNAPSHOT_DIR: snaps } });
  const wall = (performance.now() - t) / 1000;
  const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
  await rm(out, { recursive: true, force: true });
  for (const s of report.scenarios) {
    if (s.status !== 'passed') process.stderr.write(`verdicts: ${label}: ${s.name} ${s.status}${s.reason ? `: ${s.reason}` : ''}\n`);
    for (const a of s.assertions.filter((x) => !x.passed)) process.stderr.write(`verdicts: ${label}: ${s.name}: ${a.name}: expected ${a.expected}, found ${a.actual}\n`);
  }
  return { wall, scenarios: report.scenarios };
}

const snaps = await mkdtemp(join(tmpdir(), 'hil-bench-verdicts-snap-'));
const runs = { adaptive: [], fixed: [] };
try {
  process.stderr.write('verdicts: saving the DUTs (one fixed run, not counted)\n');
  await suite('fixed', snaps);
  for (let r = 0; r < rounds; r++) {
    for (const mode of r % 2 ? ['fixed', 'adaptive'] : ['adaptive', 'fixed']) {
      process.stderr.write(`verdicts: round ${r + 1}/${rounds}, ${mode}\n`);
      runs[mode].push(await suite(mode, snaps, `round ${r + 1}, ${mode}`));
    }
  }
} finally {
  await rm(snaps, { recursive: true, force: true });
}

const names = runs.adaptive[0].scenarios.map((s) => s.name);
const of = (mode, name) => runs[mode].map((r) => r.scenarios.find((s) => s.name === name)).filter(Boolean);
let differ = 0;
console.log(`| scenario | verdicts, fixed (${rounds}) | verdicts, adaptive (${rounds}) | flow states, fixed | flow states, adaptive | traffic s, fixed | traffic s, adaptive | same |`);
console.log('|---|---|---|---|---|---|---|---|');
for (const n of names) {
  const f = of('fixed', n);
  const a = of('adaptive', n);
  const vf = fold(f.map(verdict));
  const va = fold(a.map(verdict));
  const ff = fold(f.map(flowStates));
  const fa = fold(a.map(flowStates));
  const sameVerdicts = new Set([...f, ...a].map(verdict)).size === 1;
  const sameFlows = new Set([...f, ...a].map(flowStates)).size === 1;
  if (!sameVerdicts || !sameFlows) differ++;
  const sec = (xs) => (median(xs) === null ? '-' : (median(xs) / 1000).toFixed(1));
  const same = sameVerdicts && sameFlows ? 'yes' : `**no**: ${[!sameVerdicts && 'verdicts', !sameFlows && 'flow states'].filter(Boolean).join(', ')} differ`;
  console.log(`| ${n} | ${vf} | ${va} | ${ff} | ${fa} | ${sec(f.map(trafficMs))} | ${sec(a.map(trafficMs))} | ${same} |`);
}
const walls = (mode) => runs[mode].map((r) => r.wall.toFixed(1));
console.log(`\nsuite wall time (s): fixed ${walls('fixed').join(', ')} (median ${median(runs.fixed.map((r) => r.wall)).toFixed(1)}); adaptive ${walls('adaptive').join(', ')} (median ${median(runs.adaptive.map((r) => r.wall)).toFixed(1)})`);
const traffic = (mode) => runs[mode].map((r) => r.scenarios.reduce((x, s) => x + (trafficMs(s) ?? 0), 0) / 1000);
console.log(`traffic time summed over the suite (s): fixed median ${median(traffic('fixed')).toFixed(1)}, adaptive median ${median(traffic('adaptive')).toFixed(1)}`);
console.log(differ ? `${differ} scenario(s) whose verdicts or flow states differ between rounds` : 'every verdict and flow state the same in every round of both modes');
process.exit(differ ? 1 : 0);
