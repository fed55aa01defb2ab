import { readFile } from 'node:fs/promises';
import { LineCounter, isNode, parseDocument } from 'yaml';

/** Where an assertion's expectation is written: `expect.flows.state` for "flows.state". */
function yamlPath(assertion: string): (string | number)[][] {
  const traffic = /^traffic\[(\d+)\]/.exec(assertion);
  if (traffic) return [['traffic', Number(traffic[1])], ['traffic']];
  if (assertion === 'firewall loaded' || assertion === 'flowtable present') return [['expect', 'firewall'], ['offload']];
  if (assertion === 'kernel log clean') return [['expect']];
  const parts = assertion.split('.');
  return [['expect', ...parts], ['expect', parts[0]!], ['expect']];
}

/**
 * Line of each assertion's expectation in its scenario file (1 when the file or the key is
 * gone), for annotations that point at what the user wrote.
 */
export async function assertionLines(file: string, assertions: string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const text = await readFile(file, 'utf8').catch(() => undefined);
  const lc = new LineCounter();
  const doc = text === undefined ? undefined : parseDocument(text, { lineCounter: lc });
  for (const a of assertions) {
    let line = 1;
    for (const p of doc ? yamlPath(a) : []) {
      const parent = doc!.getIn(p.slice(0, -1), true) as { items?: { key: unknown; value: unknown }[] } | undefined;
      const last = p[p.length - 1];
      const node = typeof last === 'number' ? doc!.getIn(p, true) : parent?.items?.find((it) => isNode(it.key) && (it.key as { value?: unknown }).value === last)?.key;
      if (isNode(node) && node.range) {
        line = lc.linePos(node.range[0]).line;
        break;
      }
    }
    out.set(a, line);
  }
  return out;
}
