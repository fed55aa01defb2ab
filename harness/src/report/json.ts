import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Reporter } from '../run/events.js';
import type { RunReport } from './types.js';

export function jsonReporter(outDir: string): Reporter {
  return { onRunEnd: (r: RunReport) => writeFile(join(outDir, 'report.json'), JSON.stringify(r, null, 2) + '\n') };
}
