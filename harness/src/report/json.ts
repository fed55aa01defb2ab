import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic-write.js';
import type { Reporter } from '../run/events.js';
import type { RunReport } from './types.js';

export function jsonReporter(outDir: string): Reporter {
  return { name: 'report.json', onRunEnd: (r: RunReport) => writeFileAtomic(join(outDir, 'report.json'), JSON.stringify(r, null, 2) + '\n') };
}
