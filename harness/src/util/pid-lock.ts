import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { alive } from './process.js';

export interface LockOwner {
  pid: number;
  since: string;
  [k: string]: unknown;
}

export type LockResult = { release: () => Promise<void> } | { heldBy: LockOwner };

/**
 * A lock file that names its owner. Written aside, then hard-linked into place, so the lock
 * never exists without its owner's pid; one whose owner is gone is stale and taken over.
 */
export async function tryPidLock(path: string, info: Record<string, unknown> = {}): Promise<LockResult> {
  await mkdir(dirname(path), { recursive: true });
  let owner: LockOwner | undefined;
  for (let attempt = 0; attempt < 2; attempt++) {
    const tmp = `${path}.${process.pid}.${randomBytes(3).toString('hex')}`;
    await writeFile(tmp, JSON.stringify({ ...info, pid: process.pid, since: new Date().toISOString() }));
    try {
      await link(tmp, path);
      return { release: () => rm(path, { force: true }) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      owner = await readFile(path, 'utf8').then((t) => JSON.parse(t) as LockOwner).catch(() => undefined);
      if (owner && alive(owner.pid)) return { heldBy: owner };
      await rm(path, { force: true });
    } finally {
      await rm(tmp, { force: true });
    }
  }
  return { heldBy: owner ?? { pid: 0, since: 'unknown' } };
}
