import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/report/types.js';
import { FAULTS } from '../../src/run/faults.js';
import { leftovers } from './leftovers.js';

// 100 runs of a real scenario, each hit by a random fault at a random moment, four at a time:
// after all of them, nothing of the harness may be left. The seed is printed to replay a run.
const RUNS = Number(process.env.HIL_FAULT_RUNS ?? 100);
const PARALLEL = 4;
const root = new URL('../../../', import.meta.url).pathname;
const hilJs = join(root, 'harness/bin/hil.js');

function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('randomized faults', () => {
  it(`${RUNS} runs, each with a random fault or signal: documented exits, reports readable, nothing left`, async () => {
    const seed = Number(process.env.HIL_FAULT_SEED ?? Date.now() % 1e9);
    console.log(`fault soak seed ${seed} (HIL_FAULT_SEED=${seed} replays it)`);
    const rand = mulberry32(seed);
    const work = mkdtempSync(join(tmpdir(), 'hil-e2e-soak-'));
    const scenario = join(work, 'soak.yaml');
    writeFileSync(scenario, 'offload: sw\ntimeouts: { commandMs: 3000 }\ntraffic:\n  - { proto: tcp, duration: 2 }\nexpect:\n  flows: { state: sw }\n');
    const plan = Array.from({ length: RUNS }, (_, i) => {
      const r = rand();
      const delay = Math.floor(rand() * 6000);
      return r < 0.5
        ? { i, kind: r < 0.25 ? 'SIGINT' : 'SIGTERM', delay }
        : { i, kind: FAULTS[Math.floor(rand() * FAULTS.length)]!, delay: Math.floor(rand() * 2500) };
    });
    const problems: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < plan.length) {
        const p = plan[next++]!;
        const out = join(work, `run-${p.i}`);
        const isSignal = p.kind === 'SIGINT' || p.kind === 'SIGTERM';
        const child = execa('node', [hilJs, 'run', scenario, '--out', out], {
          cwd: root, reject: false, forceKillAfterDelay: false, env: { CI: 'true', ...(isSignal ? {} : { HIL_FAULT: `${p.kind}@${p.delay}` }) },
        });
        const timer = isSignal ? setTimeout(() => child.kill(p.kind as NodeJS.Signals), p.delay) : undefined;
        const r = await child;
        clearTimeout(timer);
        const what = `run ${p.i} (${p.kind} at ${p.delay} ms)`;
        // A signal before the handlers are installed ends node the default way, before any lab exists.
        const early = r.exitCode === undefined && r.signal === p.kind;
        if (!early && ![0, 1, 130, 143].includes(r.exitCode ?? -1)) problems.push(`${what}: exit ${r.exitCode} ${r.signal ?? ''} ${r.stderr.slice(-300)}`);
        if (!early && r.exitCode !== 2 && existsSync(join(out, 'report.json'))) {
          try {
            const s = (JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as RunReport).scenarios[0];
            if (s && s.status === 'error' && !s.reason) problems.push(`${what}: error without a reason`);
          } catch (e) {
            problems.push(`${what}: report.json unreadable: ${(e as Error).message}`);
          }
        } else if (!early && r.exitCode !== undefined && r.exitCode !== 2) {
          problems.push(`${what}: exit ${r.exitCode} but no report.json`);
        }
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));
    expect(problems).toEqual([]);
    expect(await leftovers()).toEqual([]);
  }, 1_500_000);
});
