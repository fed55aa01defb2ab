import { runChecks } from '../doctor/checks.js';

/** One line per check; under each problem, its fix. Exit 1 when something a run needs is missing. */
export async function doctorCmd(out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const checks = await runChecks();
  const width = Math.max(...checks.map((c) => c.name.length));
  for (const c of checks) {
    out.write(`${c.level.toUpperCase().padEnd(4)}  ${c.name.padEnd(width)}  ${c.detail}\n`);
    if (c.fix && c.level !== 'ok') out.write(`${''.padEnd(6 + width)}  fix: ${c.fix}\n`);
  }
  const failed = checks.filter((c) => c.level === 'fail').length;
  out.write(failed ? `\n${failed} problem(s) stop labs from running.\n` : '\nready to run labs.\n');
  return failed ? 1 : 0;
}
