import { fileURLToPath } from 'node:url';
import madge from 'madge';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('harness/src imports', () => {
  // A module that imports a module importing it back ties the two into one part: a report shape
  // owned by a leaf that imports the report's types, say. Each part owns its shapes instead.
  it('form no cycle', async () => {
    const graph = await madge(`${root}harness/src`, {
      fileExtensions: ['ts'],
      tsConfig: `${root}tsconfig.json`,
      detectiveOptions: { ts: { skipTypeImports: false } },
    });
    expect(Object.keys(graph.obj()).length).toBeGreaterThan(100);
    expect(graph.circular()).toEqual([]);
  });
});
