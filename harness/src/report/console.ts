import { redact } from '../util/redact.js';
import type { Reporter } from '../run/events.js';
import { flowStates } from './fold.js';
import { LiveBlock } from './live.js';
import type { RunReport, ScenarioReport } from './types.js';

const label = (r: ScenarioReport) =>
  r.flaky ? `PASSED, FLAKY (failed ${r.attempts!.length - 1} of ${r.attempts!.length} attempts)`
    : `${r.status.toUpperCase()}${r.attempts ? ` (all ${r.attempts.length} attempts)` : ''}`;

/** A live block on a terminal; plain lines when stderr is not one, or under CI. */
export function wantsLive(err: NodeJS.WritableStream = process.stderr, env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean((err as NodeJS.WriteStream).isTTY) && !env.CI && env.TERM !== 'dumb';
}

/** Progress on stderr (live or plain lines), a short summary on stdout. */
export function consoleReporter(out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr, live = wantsLive(err)): Reporter {
  const started = new Map<string, number>();
  const block = live ? new LiveBlock(err) : undefined;
  const line = (text: string, finished?: string) => (block ? block.print(redact(text), finished) : err.write(`${redact(text)}\n`));
  return {
    onRunStart: ({ runId, outDir, scenarios, jobs }) => {
      err.write(`hil: run ${runId}: ${scenarios.length} scenario(s), ${jobs} at a time, reports in ${outDir}\n`);
    },
    onStep: (s, step, detail) => {
      if (block) return block.step(s.name, step, detail && redact(detail));
      if (!started.has(s.name)) started.set(s.name, performance.now());
      const t = ((performance.now() - started.get(s.name)!) / 1000).toFixed(1);
      err.write(redact(`  ${s.name} [${t}s] ${step}${detail ? `: ${detail}` : ''}\n`));
    },
    onWarning: (s, text) => {
      line(`  ${s.name} warning: ${text}`);
    },
    onScenarioEnd: (r: ScenarioReport) => {
      line(`  ${r.name}: ${label(r)}${r.reason ? ` (${r.reason})` : ''}`, r.name);
    },
    onRunEnd: (r: RunReport) => {
      block?.stop();
      const lines = ['', `offload-hil ${r.runId}`];
      for (const s of r.scenarios) {
        lines.push(`${(s.flaky ? 'FLAKY' : s.status.toUpperCase()).padEnd(7)} ${s.name.padEnd(20)} ${(s.durationMs / 1000).toFixed(1).padStart(5)} s  ${s.accel ?? ''}  ${s.boot ? `${s.boot.kind.padEnd(8)} ${(s.boot.ms / 1000).toFixed(2)} s` : ''}  offload ${s.offload.requested} -> ${s.offload.effective ?? '-'}${s.offload.fallback ? ' (fallback warned)' : ''}${s.flows.length ? `  flows ${flowStates(s)}` : ''}`);
        if (s.reason) lines.push(`        ${s.reason}`);
        for (const w of s.warnings ?? []) lines.push(`        warning: ${w}`);
        for (const a of (s.attempts ?? []).slice(0, -1)) lines.push(`        attempt ${a.attempt}: ${a.status.toUpperCase()}${a.reason ? ` (${a.reason})` : ''}${a.transcript ? `, transcript ${a.transcript}` : ''}`);
        if (s.firewall && !s.firewall.loaded) {
          lines.push(s.firewall.present
            ? `        firewall not as rendered: the kernel's table inet fw4 is not fw4's ruleset for this configuration (fw4 exited ${s.offload.applyExitCode ?? '?'})`
            : `        no firewall: fw4's table is not in the kernel (fw4 exited ${s.offload.applyExitCode ?? '?'})`);
        }
        if (s.offload.summary) lines.push(`        ${s.boot?.kernel?.flavour ? `${s.boot.kernel.flavour} kernel: ` : ''}${s.offload.summary}`);
        const m = s.offload.missing;
        if (m) lines.push(`        missing offload modules: ${m.hint ?? `${m.modules.join(', ')} (package ${m.package}: ${m.install})`}`);
        for (const a of s.assertions.filter((a) => !a.passed)) lines.push(`        ${a.name}: expected ${a.expected}; actual ${a.actual}`);
      }
      const n = (st: string) => r.scenarios.filter((s) => s.status === st).length;
      const flaky = r.scenarios.filter((s) => s.flaky).length;
      lines.push('', `${n('passed')} passed${flaky ? ` (${flaky} FLAKY: passed only on a retry)` : ''}, ${n('failed')} failed, ${n('error')} error, ${n('skipped')} skipped in ${(r.durationMs / 1000).toFixed(1)} s`, '');
      out.write(redact(lines.join('\n')));
    },
  };
}
