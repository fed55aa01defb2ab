import { join } from 'node:path';
import { UserError } from '../util/errors.js';
import { tryPidLock } from '../util/pid-lock.js';

const DIR = process.env.HIL_BOARD_LOCK_DIR ?? '/run/offload-hil/boards';

/** One run per board at a time, across every harness process on this machine. */
export async function lockBoard(board: string, runId: string): Promise<() => Promise<void>> {
  const r = await tryPidLock(join(DIR, `${board}.lock`), { board, runId });
  if ('release' in r) return r.release;
  const o = r.heldBy;
  throw new UserError(`board ${board} is in use by run ${String(o.runId ?? '?')} (pid ${o.pid}) since ${o.since}`, 1);
}
