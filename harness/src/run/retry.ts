import { rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Attempt, ScenarioReport } from '../report/types.js';

const retriable = (r: ScenarioReport) => r.status === 'failed' || r.status === 'error';

/** What the reports keep of one attempt. */
function summary(r: ScenarioReport, n: number): Attempt {
  const failed = r.assertions.filter((a) => !a.passed).map((a) => `${a.name}: expected ${a.expected}; actual ${a.actual}`);
  return { attempt: n, status: r.status, durationMs: r.durationMs, reason: r.reason ?? (failed.length ? failed.join('; ') : undefined), transcript: r.transcript };
}

/**
 * Runs a scenario up to 1 + retries times while it fails or errors. An earlier attempt's
 * folder is renamed to NAME.attempt-K so its transcript survives the next one. A pass after a
 * failure is marked flaky, with every attempt listed: a retry never makes a run silently green.
 */
export async function withRetries(
  once: () => Promise<ScenarioReport>, retries: number, signal: AbortSignal, onRetry: (text: string) => void,
): Promise<ScenarioReport> {
  let r = await once();
  const earlier: Attempt[] = [];
  while (retriable(r) && earlier.length < retries && !signal.aborted) {
    const n = earlier.length + 1;
    const a = summary(r, n);
    if (r.transcript) {
      const dir = dirname(r.transcript);
      const kept = `${dir}.attempt-${n}`;
      if (await rename(dir, kept).then(() => true, () => false)) a.transcript = join(kept, 'console.log');
    }
    earlier.push(a);
    onRetry(`attempt ${n} ${r.status}${a.reason ? ` (${a.reason})` : ''}; retry ${n} of ${retries}`);
    r = await once();
  }
  if (!earlier.length) return r;
  return { ...r, attempts: [...earlier, summary(r, earlier.length + 1)], flaky: r.status === 'passed' };
}
