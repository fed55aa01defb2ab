import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { leftovers } from './e2e/leftovers.js';

/**
 * Every temporary file of the suite (its tests', and those of the hil processes they run, which
 * inherit TMPDIR) goes under one directory, removed after the suite: a full run used to leave
 * some 780 MB in /tmp (24 GB after 31 runs on the development machine).
 */
let tempBase: string | undefined;

/**
 * Every lab this suite starts (in its workers or in the hil processes they run, which
 * inherit the variable) is journalled here, so the leak checks look at this suite's labs,
 * not at another run's on a shared machine.
 */
export function setup(): void {
  tempBase = mkdtempSync(join(tmpdir(), 'hil-test-'));
  // As /tmp is: rootless tests write there as nobody.
  chmodSync(tempBase, 0o1777);
  process.env.TMPDIR = tempBase;
  process.env.HIL_LAB_JOURNAL ??= join(tmpdir(), `hil-test-labs-${process.pid}`);
  // Rootless runs (as nobody) journal their labs too.
  writeFileSync(process.env.HIL_LAB_JOURNAL, '', { flag: 'a' });
  chmodSync(process.env.HIL_LAB_JOURNAL, 0o666);
}

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
  if (process.env.HIL_LAB_JOURNAL?.startsWith(join(tmpdir(), 'hil-test-labs-'))) rmSync(process.env.HIL_LAB_JOURNAL, { force: true });
  if (tempBase) rmSync(tempBase, { recursive: true, force: true });
}
