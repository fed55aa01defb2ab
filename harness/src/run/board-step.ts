import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import pLimit, { type LimitFunction } from 'p-limit';
import { flashBoard, type FlashReport } from '../boards/flash.js';
import { lockBoard } from '../boards/lock.js';
import type { Board } from '../boards/schema.js';
import type { DutImage } from './dut-image.js';
import { createBoardLab } from './dut-target.js';

export interface PreparedBoards {
  /** Per board file: its scenarios run one after another. */
  gates: Map<string, LimitFunction>;
  flashes: FlashReport[];
  release: () => Promise<void>;
}

/** Flashes a board on a lab of its own (its cables lent, then given back); the reason says it was the flashing that failed. */
async function flashOnce(board: Board, image: string, token: string, index: number, outDir: string): Promise<FlashReport> {
  const lab = await createBoardLab(board, token, index);
  const dir = join(outDir, `flash-${board.name}`);
  await mkdir(dir, { recursive: true });
  try {
    return await flashBoard(board, image, lab, join(dir, 'console.log'), (t) => process.stderr.write(`hil: ${t}\n`));
  } catch (e) {
    throw new Error(`flashing board ${board.name} failed: ${(e as Error).message}`);
  } finally {
    await lab.destroy();
  }
}

/**
 * Each board is this run's for the whole run: locked before its first scenario (and
 * flashed, when asked), released by release(). A board that cannot be locked or flashed
 * makes each of its scenarios an error with that reason.
 */
export async function prepareBoards(images: DutImage[], runId: string, token: string, outDir: string): Promise<PreparedBoards> {
  const gates = new Map<string, LimitFunction>();
  const flashes: FlashReport[] = [];
  const unlocks: (() => Promise<void>)[] = [];
  for (const [i, di] of images.entries()) {
    if (di.kind !== 'board' || gates.has(di.board.file)) continue;
    try {
      unlocks.push(await lockBoard(di.board.name, runId));
      gates.set(di.board.file, pLimit(1));
      if (di.board.flash?.image) flashes.push(await flashOnce(di.board, di.board.flash.image, token, 900 + flashes.length, outDir));
    } catch (e) {
      const reason = (e as Error).message;
      for (const [j, dj] of images.entries()) if (j >= i && dj.kind === 'board' && dj.board.file === di.board.file) images[j] = { kind: 'error', reason };
    }
  }
  return { gates, flashes, release: async () => { for (const u of unlocks) await u(); } };
}
