import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { consoleReporter } from '../../src/report/console.js';
import type { RunReport } from '../../src/report/types.js';
import type { Scenario } from '../../src/scenario/schema.js';
import { passedReport } from './scenario-report.js';

const text = (s: PassThrough) => String(s.read() ?? '');

describe('console reporter', () => {
  it('a warning is told as it comes and again under its scenario in the summary', async () => {
    const out = new PassThrough();
    const err = new PassThrough();
    const r = consoleReporter(out, err, false);
    const w = 'QEMU could not restore snapshot abc (exit 1): deleted, booting cold';
    r.onWarning?.({ name: 'sw-offload' } as Scenario, w);
    expect(text(err)).toBe(`  sw-offload warning: ${w}\n`);
    const run: RunReport = { version: 1, runId: 'r1', startedAt: '2026-12-03T00:00:00.000Z', durationMs: 5000, host: { node: 'v20', jobs: 1 }, scenarios: [{ ...passedReport, warnings: [w] }] };
    await r.onRunEnd?.(run);
    expect(text(out)).toMatch(new RegExp(`^PASSED  sw-offload .*\\n {8}warning: ${w.replace(/[()]/g, '\\$&')}\\n`, 'm'));
  });
});
