import { access, readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { UserError } from '../util/errors.js';
import { STATUSES, type RunReport, type ScenarioReport } from './types.js';

/** A report.json path, or a folder holding one. */
async function reportFile(p: string): Promise<string> {
  const s = await stat(p).catch(() => undefined);
  if (!s) throw new UserError(`${p}: no such file or folder`);
  return s.isDirectory() ? join(p, 'report.json') : p;
}

function check(r: unknown, file: string): RunReport {
  const x = r as Partial<RunReport>;
  if (x?.version !== 1 || !Array.isArray(x.scenarios) || typeof x.runId !== 'string') throw new UserError(`${file}: not an offload-hil report.json (version 1)`);
  for (const s of x.scenarios) if (!STATUSES.includes(s?.status)) throw new UserError(`${file}: scenario ${s?.name ?? '?'} has no valid status`);
  return x as RunReport;
}

/**
 * A transcript path is the CI job's own; once the job's report folder is downloaded
 * elsewhere, look for it beside the report.json that names it.
 */
async function relocate(s: ScenarioReport, reportDir: string): Promise<ScenarioReport> {
  if (!s.transcript) return s;
  const exists = (p: string) => access(p).then(() => true, () => false);
  if (await exists(s.transcript)) return s;
  const local = join(reportDir, s.name, 'console.log');
  return { ...s, transcript: (await exists(local)) ? local : s.transcript };
}

/** Sharded CI jobs' reports as one run: every scenario once, the span of all jobs' time. */
export async function mergeReports(paths: string[], runId: string): Promise<RunReport> {
  if (!paths.length) throw new UserError('report merge needs report.json files or report folders');
  const parts: { file: string; report: RunReport }[] = [];
  for (const p of paths) {
    const file = await reportFile(p);
    const text = await readFile(file, 'utf8').catch((e) => {
      throw new UserError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? e})`);
    });
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new UserError(`${file}: not JSON (${(e as Error).message})`);
    }
    parts.push({ file, report: check(json, file) });
  }
  const seen = new Map<string, string>();
  const scenarios: ScenarioReport[] = [];
  for (const { file, report } of parts) {
    for (const s of report.scenarios) {
      const other = seen.get(s.name);
      if (other) throw new UserError(`scenario ${s.name} is in both ${other} and ${file}: were the shards overlapping, or one report given twice?`);
      seen.set(s.name, file);
      scenarios.push(await relocate(s, dirname(file)));
    }
  }
  const start = Math.min(...parts.map((p) => Date.parse(p.report.startedAt)));
  const end = Math.max(...parts.map((p) => Date.parse(p.report.startedAt) + p.report.durationMs));
  return {
    version: 1, runId, startedAt: new Date(start).toISOString(), durationMs: end - start,
    host: { node: process.version, jobs: parts.reduce((a, p) => a + p.report.host.jobs, 0) },
    merged: parts.map((p) => ({ runId: p.report.runId, file: p.file, ...(p.report.shard && { shard: p.report.shard }) })),
    scenarios,
  };
}
