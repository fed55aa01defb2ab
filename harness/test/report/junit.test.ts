import { describe, expect, it } from 'vitest';
import { junitXml } from '../../src/report/junit.js';
import type { RunReport, ScenarioReport } from '../../src/report/types.js';

const base: ScenarioReport = {
  name: 'sw-offload', file: 'scenarios/sw-offload.yaml', status: 'passed', durationMs: 7300, accel: 'tcg', boot: { kind: 'cold', ms: 3000, guest: {} },
  offload: { requested: 'sw', effective: 'sw', fallback: false, warning: null, kernelError: null },
  flows: [], traffic: [], timeline: [], kernelLog: { trouble: [] }, steps: [], transcript: 'reports/x/sw-offload/console.log',
  assertions: [{ name: 'offload.effective', passed: true, expected: 'sw', actual: 'sw' }],
};

describe('junit', () => {
  it('one testcase per scenario; failures say expected and actual; errors and skips kept apart', () => {
    const r: RunReport = {
      version: 1, runId: 'r1', startedAt: '2026-11-24T00:00:00.000Z', durationMs: 9000, host: { node: 'v20', jobs: 2 },
      scenarios: [
        base,
        { ...base, name: 'bad', status: 'failed', assertions: [{ name: 'flows.state', passed: false, expected: 'sw <&>', actual: 'none' }] },
        { ...base, name: 'broken', status: 'error', reason: 'waiting for the DUT shell timed out after 500 ms' },
        { ...base, name: 'later', status: 'skipped', reason: 'interrupted' },
      ],
    };
    const x = junitXml(r);
    expect(x.match(/<testcase /g)).toHaveLength(4);
    expect(x).toContain('tests="4" failures="1" errors="1" skipped="1"');
    expect(x).toContain('flows.state: expected sw &lt;&amp;&gt;; actual none</failure>');
    expect(x).toContain('<error message="waiting for the DUT shell timed out after 500 ms"');
    expect(x).toContain('<skipped message="interrupted"/>');
  });
});
