import { redact } from '../util/redact.js';
import { appendFile } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import type { Reporter } from '../run/events.js';
import { flowStates } from './fold.js';
import { assertionLines } from './source-lines.js';
import type { RunReport, ScenarioReport } from './types.js';

// Workflow-command escaping, as @actions/core does it.
const data = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const prop = (s: string) => data(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** `::error` / `::warning` lines that GitHub shows on the scenario file, at the expectation that failed. */
export async function annotations(r: RunReport, cwd = process.cwd()): Promise<string[]> {
  const out: string[] = [];
  for (const s of r.scenarios) {
    // GitHub places annotations by workspace-relative path; a file outside it keeps its own.
    const rel = relative(cwd, s.file);
    const file = rel.startsWith('..') ? s.file : rel;
    const failed = s.assertions.filter((a) => !a.passed);
    const lines = await assertionLines(resolve(cwd, s.file), failed.map((a) => a.name));
    const cmd = (kind: 'error' | 'warning', line: number, title: string, text: string) =>
      `::${kind} file=${prop(file)},line=${line},title=${prop(title)}::${data(text)}`;
    if (s.status === 'failed') {
      for (const a of failed) out.push(cmd('error', lines.get(a.name) ?? 1, `${s.name}: ${a.name}`, `expected ${a.expected}; actual ${a.actual}`));
    } else if (s.status === 'error') {
      out.push(cmd('error', 1, `${s.name}: error`, s.reason ?? 'error'));
    }
    for (const w of s.warnings ?? []) out.push(cmd('warning', 1, `${s.name}: warning`, w));
    if (s.flaky) {
      out.push(cmd('warning', 1, `${s.name}: flaky`, `passed on attempt ${s.attempts!.length} of ${s.attempts!.length}; earlier: ${s.attempts!.slice(0, -1).map((a) => `${a.status}${a.reason ? ` (${a.reason})` : ''}`).join('; ')}`));
    }
  }
  return out;
}

const verdict = (s: ScenarioReport) => (s.flaky ? '⚠️ flaky' : { passed: '✅ passed', failed: '❌ failed', error: '💥 error', skipped: '⏭️ skipped' }[s.status]);

/** The job summary: one table row per scenario, then what failed, expected against actual. */
export function stepSummary(r: RunReport): string {
  const n = (st: string) => r.scenarios.filter((s) => s.status === st).length;
  const flaky = r.scenarios.filter((s) => s.flaky).length;
  const lines = [
    `### offload-hil ${r.runId}${r.shard ? ` (shard ${r.shard.index}/${r.shard.count})` : ''}`,
    '',
    `${n('passed')} passed${flaky ? ` (${flaky} flaky)` : ''}, ${n('failed')} failed, ${n('error')} error, ${n('skipped')} skipped in ${(r.durationMs / 1000).toFixed(1)} s`,
    '',
    '| scenario | verdict | offload requested → effective | flows (last state) | time |',
    '|---|---|---|---|---|',
  ];
  for (const s of r.scenarios) {
    const flows = flowStates(s);
    lines.push(`| ${cell(s.name)} | ${verdict(s)} | ${s.offload.requested} → ${s.offload.effective ?? '-'}${s.offload.fallback ? ' (fallback warned)' : ''} | ${flows} | ${(s.durationMs / 1000).toFixed(1)} s |`);
  }
  const bad = r.scenarios.filter((s) => s.status === 'failed' || s.status === 'error' || s.flaky);
  for (const s of bad) {
    lines.push('', `**${cell(s.name)}** (${s.file})`);
    if (s.reason) lines.push(`- ${cell(s.reason)}`);
    for (const a of s.assertions.filter((x) => !x.passed)) lines.push(`- \`${a.name}\`: expected ${cell(a.expected)}; actual ${cell(a.actual)}`);
    for (const a of (s.attempts ?? []).slice(0, -1)) lines.push(`- attempt ${a.attempt}: ${a.status}${a.reason ? `: ${cell(a.reason)}` : ''}`);
  }
  return lines.join('\n') + '\n';
}

/** Active when GitHub Actions runs us: annotations on stdout, the summary into GITHUB_STEP_SUMMARY. */
export function githubReporter(env: NodeJS.ProcessEnv = process.env, out: NodeJS.WritableStream = process.stdout): Reporter {
  return {
    name: 'the GitHub job summary',
    onRunEnd: async (r) => {
      if (env.GITHUB_ACTIONS === 'true') for (const l of await annotations(r)) out.write(`${redact(l)}\n`);
      if (env.GITHUB_STEP_SUMMARY) await appendFile(env.GITHUB_STEP_SUMMARY, redact(stepSummary(r)));
    },
  };
}
