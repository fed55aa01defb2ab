import { appendFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LabNames } from './names.js';
import type { LentCable } from '../boards/cables.js';
import { alive } from '../util/process.js';

/**
 * Each live lab is recorded with its owner's pid, so a lab whose harness was killed
 * outright (SIGKILL, OOM) is removed by the next run instead of living on.
 */
const DIR = process.env.HIL_RUN_DIR ?? '/run/offload-hil/labs';

/** A lab's record; a board lab's cables are in it, so the reaper can give them back. */
export interface LabRecord {
  names: LabNames;
  cables?: LentCable[];
}

/**
 * HIL_LAB_JOURNAL: a file each lab's id is appended to, and never taken out of. The test
 * suite sets it, so its leak checks look at its own labs, not at every lab on the machine.
 */
export async function register(names: LabNames, cables?: LentCable[]): Promise<void> {
  // A journal this user cannot write (another user's suite) takes nothing from the run.
  if (process.env.HIL_LAB_JOURNAL) await appendFile(process.env.HIL_LAB_JOURNAL, `${names.id}\n`).catch(() => undefined);
  await mkdir(DIR, { recursive: true });
  await writeFile(join(DIR, `${names.id}.json`), JSON.stringify({ pid: process.pid, names, cables }));
}

export async function unregister(names: LabNames): Promise<void> {
  await rm(join(DIR, `${names.id}.json`), { force: true });
}


/** Labs whose owner is gone. */
export async function orphans(): Promise<LabRecord[]> {
  const files = await readdir(DIR).catch(() => [] as string[]);
  const out: LabRecord[] = [];
  for (const f of files.filter((f) => f.endsWith('.json'))) {
    const rec = await readFile(join(DIR, f), 'utf8').then(JSON.parse).catch(() => undefined);
    if (rec && !alive(rec.pid)) out.push({ names: rec.names as LabNames, cables: rec.cables as LentCable[] | undefined });
  }
  return out;
}
