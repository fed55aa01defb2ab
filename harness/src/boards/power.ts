import { execa } from 'execa';
import { redact } from '../util/redact.js';
import type { Board } from './schema.js';

/**
 * The board's power, switched by the lab's own commands (a relay, a PDU's CLI). Their
 * output goes to the transcript; a failing command is an error naming it. Manual power
 * means the board is on and stays on.
 */
export async function power(board: Board, to: 'on' | 'off', note: (t: string) => void): Promise<void> {
  if (board.power === 'manual') return;
  const cmd = board.power[to];
  note(`power ${to}: ${cmd}`);
  const r = await execa('sh', ['-c', cmd], { reject: false, timeout: board.power.timeoutMs, all: true, stdin: 'ignore' });
  if (r.all?.trim()) note(`power ${to} said: ${r.all.trim()}`);
  if (r.timedOut) throw new Error(`power ${to} for board ${board.name} did not finish within ${board.power.timeoutMs} ms: ${redact(cmd)}`);
  if (r.exitCode !== 0) throw new Error(`power ${to} for board ${board.name} failed (exit ${r.exitCode}): ${redact(cmd)}${r.all?.trim() ? `: ${redact(r.all.trim().split('\n').pop()!)}` : ''}`);
}

/** Off, then on: the board boots afresh (manual power: nothing happens). */
export async function powerCycle(board: Board, note: (t: string) => void): Promise<void> {
  await power(board, 'off', note);
  await power(board, 'on', note);
}
