import { rename, rm, writeFile } from 'node:fs/promises';
import { redact } from './redact.js';

/**
 * Whole or not at all: a report cut short by a full disk would be read as a real one, so it
 * is written beside its name and renamed into place; on failure nothing is left. Every
 * report file goes through here, so this is where secrets are taken out.
 */
export async function writeFileAtomic(path: string, data: string): Promise<void> {
  const tmp = `${path}.partial-${process.pid}`;
  try {
    await writeFile(tmp, redact(data));
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}
