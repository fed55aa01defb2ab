import { leftovers } from './e2e/leftovers.js';

/**
 * After the whole suite: whatever any test left of the harness fails the run. vitest reports
 * a throwing global teardown but still exits 0, hence the exit code set here.
 */
export async function teardown(): Promise<void> {
  const left = await leftovers();
  if (left.length) {
    process.stderr.write(`\nLEAK: the test suite left harness resources behind:\n${left.map((l) => `  ${l}`).join('\n')}\n`);
    process.exitCode = 1;
  }
}
