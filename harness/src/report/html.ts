import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic-write.js';
import type { Reporter } from '../run/events.js';
import { repoRoot } from '../util/paths.js';
import type { RunReport } from './types.js';

const require = createRequire(import.meta.url);
/** Enough console for a failure's story without making the page heavy: the end of each transcript. */
const TRANSCRIPT_TAIL = 256 * 1024;

// ANSI colours and the agent's framing bytes (RS, STX...) are noise on a page.
// eslint-disable-next-line no-control-regex
const stripAnsi = (s: string) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]|\r/g, '').replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '');
/** JSON inside <script>: nothing in it may close the element. */
const scriptJson = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c');

async function transcripts(r: RunReport): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const s of r.scenarios) {
    if (!s.transcript) continue;
    const text = await readFile(s.transcript, 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    const tail = text.length > TRANSCRIPT_TAIL ? `[... first ${text.length - TRANSCRIPT_TAIL} characters left out ...]\n${text.slice(-TRANSCRIPT_TAIL)}` : text;
    out[s.name] = stripAnsi(tail);
  }
  return out;
}

/** One self-contained page: uPlot, the page's script and style, and the run's data inlined; opens from disk. */
export async function htmlReport(r: RunReport): Promise<string> {
  const [uplotJs, uplotCss, pageJs, pageCss, texts] = await Promise.all([
    readFile(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
    readFile(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
    readFile(join(repoRoot, 'harness', 'assets', 'report-page.js'), 'utf8'),
    readFile(join(repoRoot, 'harness', 'assets', 'report.css'), 'utf8'),
    transcripts(r),
  ]);
  const title = `offload-hil ${r.runId}`.replace(/[<&]/g, '');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<style>${uplotCss}\n${pageCss}</style></head>
<body><div id="hil-report"></div>
<script type="application/json" id="hil-data">${scriptJson({ ...r, transcripts: texts })}</script>
<script>${uplotJs}</script>
<script>${pageJs}</script>
</body></html>
`;
}

export function htmlReporter(outDir: string): Reporter {
  return { name: 'report.html', onRunEnd: async (r) => writeFileAtomic(join(outDir, 'report.html'), await htmlReport(r)) };
}
