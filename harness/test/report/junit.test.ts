import { describe, expect, it } from 'vitest';
import { junitXml } from '../../src/report/junit.js';
import type { RunReport, ScenarioReport } from '../../src/report/types.js';
import { passedReport as base } from './scenario-report.js';

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

describe('junit warnings', () => {
  it('a scenario\'s warnings are in its system-out', () => {
    const w = 'the kernel log could not be read (dmesg: klogctl: Operation not permitted): it is not judged';
    const x = junitXml({ version: 1, runId: 'r3', startedAt: '2026-12-03T00:00:00.000Z', durationMs: 1, host: { node: 'v20', jobs: 1 }, scenarios: [{ ...base, warnings: [w] }] });
    expect(x).toContain(`<system-out>accel: tcg, boot cold 3000 ms\noffload: requested sw, effective sw\nwarning: ${w}\n`);
  });
});

describe('junit with retries', () => {
  const run = (scenarios: ScenarioReport[]): RunReport => ({ version: 1, runId: 'r2', startedAt: '2026-12-01T00:00:00.000Z', durationMs: 1, host: { node: 'v20', jobs: 1 }, scenarios });
  const attempt = (n: number, status: ScenarioReport['status'], reason?: string) => ({ attempt: n, status, durationMs: 5, reason, transcript: `reports/x/a.attempt-${n}/console.log` });

  it('a pass after a failure is a passing testcase that says flaky and keeps the failed attempt', () => {
    const x = junitXml(run([{ ...base, name: 'a', flaky: true, attempts: [attempt(1, 'failed', 'flows.state: expected sw; actual none'), attempt(2, 'passed')] }]));
    expect(x).toContain('tests="1" failures="0" errors="0"');
    expect(x).toContain('<property name="flaky" value="true"/><property name="attempts" value="2"/>');
    expect(x).toContain('<flakyFailure message="attempt 1: flows.state: expected sw; actual none" type="failed"/>');
    expect(x).toContain('attempt 1: failed (flows.state: expected sw; actual none), transcript reports/x/a.attempt-1/console.log');
  });

  it('failing every attempt is a failure with its earlier attempts as reruns', () => {
    const failing = { ...base, name: 'b', status: 'failed' as const, assertions: [{ name: 'flows.state', passed: false, expected: 'sw', actual: 'none' }] };
    const x = junitXml(run([{ ...failing, flaky: false, attempts: [attempt(1, 'error', 'boot timed out'), attempt(2, 'failed')] }]));
    expect(x).toContain('failures="1"');
    expect(x).toMatch(/<failure [^>]*>[^<]*<\/failure><rerunError message="attempt 1: boot timed out" type="error"\/>/);
    expect(x).toContain('<property name="flaky" value="false"/>');
  });
});
