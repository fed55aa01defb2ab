import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic-write.js';
import type { Reporter } from '../run/events.js';
import { repoRoot } from '../util/paths.js';
import { FOLD_MARK, foldsPath, type Fold } from '../targets/transcript.js';
import { flowStates } from './fold.js';
import type { RunReport } from './types.js';

const require = createRequire(import.meta.url);
/** Enough console for a failure's story without making the page heavy: the end of each transcript. */
const TRANSCRIPT_TAIL = 256 * 1024;
/** The folded samples' full texts a scenario's page carries, at most (the last ones first); the rest are in console.folds.jsonl. */
const FOLDS_BUDGET = 512 * 1024;

// ANSI colours and the agent's framing bytes (RS, STX...) are noise on a page.
// eslint-disable-next-line no-control-regex
const stripAnsi = (s: string) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]|\r/g, '').replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '');
/** JSON inside <script>: nothing in it may close the element. */
const scriptJson = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c');

async function transcripts(r: RunReport): Promise<{ texts: Record<string, string>; folds: Record<string, Record<number, string>> }> {
  const texts: Record<string, string> = {};
  const folds: Record<string, Record<number, string>> = {};
  for (const s of r.scenarios) {
    if (!s.transcript) continue;
    const text = await readFile(s.transcript, 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    const tail = text.length > TRANSCRIPT_TAIL ? `[... first ${text.length - TRANSCRIPT_TAIL} characters left out ...]\n${text.slice(-TRANSCRIPT_TAIL)}` : text;
    texts[s.name] = stripAnsi(tail);
    folds[s.name] = await foldTexts(s.transcript, texts[s.name]!);
  }
  return { texts, folds };
}

/** The full text behind each folded line the page shows, newest first until the budget is spent. */
async function foldTexts(transcript: string, shown: string): Promise<Record<number, string>> {
  const wanted = new Set(shown.split('\n').map((l) => FOLD_MARK.exec(l)?.[1]).filter((x) => x !== undefined).map(Number));
  if (!wanted.size) return {};
  const raw = await readFile(foldsPath(transcript), 'utf8').catch(() => '');
  const out: Record<number, string> = {};
  let left = FOLDS_BUDGET;
  for (const line of raw.split('\n').reverse()) {
    if (!line) continue;
    let f: Fold;
    try {
      f = JSON.parse(line) as Fold;
    } catch {
      continue; // a line cut short by a full disk
    }
    if (!wanted.has(f.id)) continue;
    const text = stripAnsi(`${f.stdout}${f.stderr ? `\n${f.stderr.replace(/^/gm, 'stderr| ')}` : ''}`);
    if (text.length > left) break;
    left -= text.length;
    out[f.id] = text;
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
  const flows = Object.fromEntries(r.scenarios.map((s) => [s.name, flowStates(s)]));
  const title = `offload-hil ${r.runId}`.replace(/[<&]/g, '');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<style>${uplotCss}\n${pageCss}</style></head>
<body><div id="hil-report"></div>
<script type="application/json" id="hil-data">${scriptJson({ ...r, transcripts: texts.texts, folds: texts.folds, flowStates: flows })}</script>
<script>${uplotJs}</script>
<script>${pageJs}</script>
</body></html>
`;
}

export function htmlReporter(outDir: string): Reporter {
  return { name: 'report.html', onRunEnd: async (r) => writeFileAtomic(join(outDir, 'report.html'), await htmlReport(r)) };
}
