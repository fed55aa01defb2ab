import { mkdir } from 'node:fs/promises';
import { writeFileAtomic } from '../util/atomic-write.js';
import { join, resolve } from 'node:path';
import { githubReporter } from '../report/github.js';
import { htmlReport } from '../report/html.js';
import { junitXml } from '../report/junit.js';
import { mergeReports } from '../report/merge.js';
import { UserError } from '../util/errors.js';
import { parseArgsOr } from './args.js';

/** `hil report merge --out DIR REPORT...`: one report.json, junit.xml and report.html for a sharded run. */
export async function reportCmd(args: string[], out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'merge') throw new UserError(`report: unknown subcommand "${sub ?? ''}" (hil report merge --out DIR REPORT...)`);
  const parsed = parseArgsOr({ args: rest, allowPositionals: true, options: { out: { type: 'string' } } }, 'usage: hil report merge --out DIR REPORT...');
  if (!parsed.values.out) throw new UserError('report merge needs --out DIR');
  const dir = resolve(parsed.values.out);
  const merged = await mergeReports(parsed.positionals, `merged-${new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)}`);
  await mkdir(dir, { recursive: true });
  await writeFileAtomic(join(dir, 'report.json'), JSON.stringify(merged, null, 2) + '\n');
  await writeFileAtomic(join(dir, 'junit.xml'), junitXml(merged));
  await writeFileAtomic(join(dir, 'report.html'), await htmlReport(merged));
  await githubReporter().onRunEnd!(merged);
  const bad = merged.scenarios.filter((s) => s.status === 'failed' || s.status === 'error');
  out.write(`merged ${merged.merged!.length} report(s), ${merged.scenarios.length} scenario(s), ${bad.length} failed or errored: ${dir}\n`);
  return bad.length ? 1 : 0;
}
