import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic-write.js';
import type { Reporter } from '../run/events.js';
import type { RunReport, ScenarioReport } from './types.js';

const esc = (s: string) =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!)
    // XML 1.0 forbids most control characters (the DUT's console has ANSI escapes).
    // eslint-disable-next-line no-control-regex
    .replace(/[\x00-\x08\x0b\x0c\x0e-\x1f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);

function testcase(s: ScenarioReport): string {
  const attrs = `name="${esc(s.name)}" classname="offload-hil.${esc(s.name)}" file="${esc(s.file)}" time="${(s.durationMs / 1000).toFixed(3)}"`;
  const failures = s.assertions.filter((a) => !a.passed);
  let body = '';
  if (s.status === 'failed') {
    const text = failures.map((a) => `${a.name}: expected ${a.expected}; actual ${a.actual}`).join('\n');
    body = `<failure message="${esc(failures.map((a) => a.name).join(', '))} not met" type="expectation">${esc(text)}</failure>`;
  } else if (s.status === 'error') body = `<error message="${esc(s.reason ?? 'error')}" type="lab"/>`;
  else if (s.status === 'skipped') body = `<skipped message="${esc(s.reason ?? '')}"/>`;
  // Surefire's rerun elements, which JUnit readers (Jenkins, GitHub junit actions) show as flaky.
  const earlier = (s.attempts ?? []).slice(0, -1).map((a) => {
    const tag = s.status === 'passed' ? (a.status === 'error' ? 'flakyError' : 'flakyFailure') : (a.status === 'error' ? 'rerunError' : 'rerunFailure');
    return `<${tag} message="${esc(`attempt ${a.attempt}: ${a.reason ?? a.status}`)}" type="${a.status}"/>`;
  }).join('');
  const props = s.attempts ? `<properties><property name="flaky" value="${Boolean(s.flaky)}"/><property name="attempts" value="${s.attempts.length}"/></properties>` : '';
  body = props + body + earlier;
  const out = [
    `accel: ${s.accel ?? '-'}${s.boot ? `, boot ${s.boot.kind} ${s.boot.ms} ms` : ''}`,
    `offload: requested ${s.offload.requested}, effective ${s.offload.effective ?? '-'}${s.offload.warning ? `, warning ${JSON.stringify(s.offload.warning)}` : ''}`,
    ...(s.attempts ?? []).slice(0, -1).map((a) => `attempt ${a.attempt}: ${a.status}${a.reason ? ` (${a.reason})` : ''}${a.transcript ? `, transcript ${a.transcript}` : ''}`),
    ...(s.warnings ?? []).map((w) => `warning: ${w}`),
    ...s.assertions.map((a) => `${a.passed ? 'ok  ' : 'FAIL'} ${a.name}: expected ${a.expected}; actual ${a.actual}`),
    s.transcript ? `console transcript: ${s.transcript}` : '',
  ].filter(Boolean).join('\n');
  return `    <testcase ${attrs}>${body}<system-out>${esc(out)}</system-out></testcase>`;
}

export function junitXml(r: RunReport): string {
  const count = (st: string) => r.scenarios.filter((s) => s.status === st).length;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="offload-hil" tests="${r.scenarios.length}" failures="${count('failed')}" errors="${count('error')}" skipped="${count('skipped')}" time="${(r.durationMs / 1000).toFixed(3)}">`,
    `  <testsuite name="offload-hil ${esc(r.runId)}" tests="${r.scenarios.length}" failures="${count('failed')}" errors="${count('error')}" skipped="${count('skipped')}" timestamp="${r.startedAt}" time="${(r.durationMs / 1000).toFixed(3)}">`,
    ...r.scenarios.map(testcase),
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

export function junitReporter(outDir: string): Reporter {
  return { name: 'junit.xml', onRunEnd: (r) => writeFileAtomic(join(outDir, 'junit.xml'), junitXml(r)) };
}
