import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { LineCounter, parseDocument, isNode, type Document } from 'yaml';
import type { z } from 'zod';
import { scenarioSchema, type Scenario } from './schema.js';

export interface ScenarioIssue {
  file: string;
  line: number;
  col: number;
  path: string;
  message: string;
}

export class ScenarioError extends Error {
  constructor(readonly issues: ScenarioIssue[]) {
    super(issues.map(formatIssue).join('\n'));
  }
}

export function formatIssue(i: ScenarioIssue): string {
  return `${i.file}:${i.line}:${i.col}: ${i.path ? i.path + ': ' : ''}${i.message}`;
}

export function pathText(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)), '');
}

/** The deepest node the path still reaches, so an error about a missing key points at its parent. */
function position(doc: Document, lc: LineCounter, path: readonly PropertyKey[], keyNode: boolean): { line: number; col: number } {
  for (let n = path.length; n >= 0; n--) {
    const sub = path.slice(0, n) as (string | number)[];
    const node = keyNode && n === path.length ? findKey(doc, sub) : doc.getIn(sub, true);
    if (isNode(node) && node.range) return lc.linePos(node.range[0]);
  }
  return { line: 1, col: 1 };
}

function findKey(doc: Document, path: (string | number)[]): unknown {
  const parent = doc.getIn(path.slice(0, -1), true) as { items?: { key: unknown }[] } | undefined;
  const last = path[path.length - 1];
  return parent?.items?.find((it) => isNode(it.key) && (it.key as { value?: unknown }).value === last)?.key;
}

/** YAML text validated by a zod schema; every problem carries file, line, column and path. */
export function parseYamlWith<S extends z.ZodType>(schema: S, text: string, file: string): z.output<S> {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length) {
    throw new ScenarioError(
      doc.errors.map((e) => {
        const p = lc.linePos(e.pos[0]);
        return { file, line: p.line, col: p.col, path: '', message: e.message.split('\n')[0] ?? e.message };
      }),
    );
  }
  const parsed = schema.safeParse(doc.toJS() ?? {});
  if (!parsed.success) throw new ScenarioError(zodIssues(parsed.error, doc, lc, file));
  return parsed.data;
}

export function parseScenario(text: string, file: string): Scenario {
  const data = parseYamlWith(scenarioSchema, text, file);
  const fallbackName = basename(file, extname(file));
  return { ...data, name: data.name ?? fallbackName, file };
}

function zodIssues(err: z.ZodError, doc: Document, lc: LineCounter, file: string): ScenarioIssue[] {
  return err.issues.flatMap((i) => {
    if (i.code === 'unrecognized_keys') {
      return i.keys.map((k) => {
        const path = [...i.path, k];
        return { file, ...position(doc, lc, path, true), path: pathText(path), message: `unknown key "${k}"` };
      });
    }
    return [{ file, ...position(doc, lc, i.path, false), path: pathText(i.path), message: i.message }];
  });
}

export async function loadScenarioFile(file: string): Promise<Scenario> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new ScenarioError([{ file, line: 0, col: 0, path: '', message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? e}` }]);
  }
  return parseScenario(text, file);
}

/** Files and folders (their *.yaml / *.yml, sorted) to scenarios; every file's every issue at once. */
export async function loadScenarios(args: readonly string[]): Promise<Scenario[]> {
  const files: string[] = [];
  const issues: ScenarioIssue[] = [];
  for (const a of args) {
    const s = await stat(a).catch(() => undefined);
    if (!s) issues.push({ file: a, line: 0, col: 0, path: '', message: 'no such file or folder' });
    else if (s.isDirectory()) {
      const names = (await readdir(a)).filter((n) => /\.ya?ml$/.test(n)).sort();
      if (names.length === 0) issues.push({ file: a, line: 0, col: 0, path: '', message: 'folder holds no .yaml scenario' });
      files.push(...names.map((n) => join(a, n)));
    } else files.push(a);
  }
  const scenarios: Scenario[] = [];
  for (const f of files) {
    try {
      scenarios.push(await loadScenarioFile(f));
    } catch (e) {
      if (e instanceof ScenarioError) issues.push(...e.issues);
      else throw e;
    }
  }
  const seen = new Map<string, string>();
  for (const s of scenarios) {
    const other = seen.get(s.name);
    if (other) issues.push({ file: s.file, line: 1, col: 1, path: 'name', message: `duplicate scenario name "${s.name}" (also ${other})` });
    seen.set(s.name, s.file);
  }
  if (issues.length) throw new ScenarioError(issues);
  return scenarios;
}
