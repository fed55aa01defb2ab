import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { scenarioJsonSchema } from '../../src/scenario/json-schema.js';

type Node = { properties?: Record<string, Node>; items?: Node; anyOf?: Node[] };

/** Every field a scenario file can hold, as the docs write it: `traffic[].proto`. */
function fields(n: Node | undefined, prefix = ''): string[] {
  if (!n) return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(n.properties ?? {})) {
    const path = prefix ? `${prefix}.${k}` : k;
    // Its fields are expect's own, documented once under expect.
    out.push(path, ...(['expect.hostKernel.withoutFlowtables', 'expect.onKernel.openwrt', 'expect.onKernel.upstream', 'expect.onKernel.6.1', 'expect.onKernel.6.12'].includes(path) ? [] : fields(v, path)));
  }
  if (n.items) out.push(...fields(n.items, `${prefix}[]`));
  for (const a of n.anyOf ?? []) out.push(...fields(a, prefix));
  return out;
}

describe('docs/scenarios.md', () => {
  const doc = readFileSync(new URL('../../../docs/scenarios.md', import.meta.url), 'utf8');
  it.each(fields(scenarioJsonSchema() as Node))('documents `%s`', (path) => {
    expect(doc).toContain(`\`${path}\``);
  });
});
