import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/report/types.js';
import { leftovers } from './leftovers.js';

const root = new URL('../../../', import.meta.url).pathname;

describe('parallel labs', () => {
  it('eight labs at once on this machine: each passes on its own lab, with its own streams, and all are torn down', async () => {
    // Eight TCG guests on two cores: 6 s of traffic leaves the sampler time to see each stream
    // (2 s is too short under this overload; the verdicts would be about the host, not the DUT).
    const dir = mkdtempSync(join(tmpdir(), 'hil-e2e-par-'));
    const kinds = ['sw-offload', 'udp-offload', 'hw-offload', 'no-offload'];
    for (let i = 0; i < 8; i++) {
      const base = kinds[i % kinds.length]!;
      const text = readFileSync(join(root, 'scenarios', `${base}.yaml`), 'utf8')
        .replace(/^name: .*$/m, '').replace(/duration: \d+/g, 'duration: 6');
      writeFileSync(join(dir, `par-${i}-${base}.yaml`), text);
    }
    const out = join(dir, 'out');
    const r = await execa('node', [join(root, 'harness/bin/hil.js'), 'run', dir, '--jobs', '8', '--out', out], { cwd: root, reject: false, env: { CI: 'true' } });
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as RunReport;
    expect(report.host.jobs).toBe(8);
    expect(report.scenarios.map((s) => `${s.name}: ${s.status} ${s.reason ?? s.assertions.filter((a) => !a.passed).map((a) => a.actual).join('; ')}`.trim()))
      .toEqual(report.scenarios.map((s) => `${s.name}: passed`));
    expect(r.exitCode).toBe(0);
    // Eight labs of their own, run at once: the run took far less than the scenarios' time added up.
    const labs = report.scenarios.map((s) => readFileSync(s.transcript!, 'utf8').match(/-name (hil-\w+)/)![1]);
    expect(new Set(labs).size).toBe(8);
    expect(report.durationMs).toBeLessThan(report.scenarios.reduce((a, s) => a + s.durationMs, 0) / 4);
    expect(await leftovers()).toEqual([]);
  }, 300_000);
});
