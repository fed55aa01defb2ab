import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/report/types.js';
import { leftovers } from './leftovers.js';

const root = new URL('../../../', import.meta.url).pathname;

describe('soak', () => {
  it('ten minutes of UDP flows offloaded and expiring: no drift', async () => {
    const out = mkdtempSync(join(tmpdir(), 'hil-e2e-soak-'));
    const r = await execa('node', [join(root, 'harness/bin/hil.js'), 'run', 'scenarios/soak', '--out', out], { cwd: root, reject: false, env: { CI: 'true' } });
    const s = (JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as RunReport).scenarios[0]!;
    expect(s.assertions.filter((a) => !a.passed)).toEqual([]);
    expect(r.exitCode).toBe(0);
    const rounds = s.flood!.rounds;
    expect(rounds).toHaveLength(29);
    // Conntrack after each gap: back where it started, every time.
    const after = rounds.map((x) => x.conntrackAfterGap!);
    expect(Math.max(...after) - Math.min(...after)).toBeLessThanOrEqual(5);
    expect(await leftovers()).toEqual([]);
  }, 900_000);
});
