import { CommandError, type CommandResult } from '../util/exec.js';
import type { ShowOptions, Transcript } from './transcript.js';
import type { TxRingReport } from './tx-rings.js';

export interface RunOptions extends ShowOptions {
  timeoutMs?: number;
}

/** A shell on the DUT, however it is reached (serial console, SSH): labgrid's seam. Every command goes into the DUT's transcript. */
export interface Shell {
  run(command: string, opts?: RunOptions): Promise<CommandResult>;
}

export const ACCELS = ['kvm', 'tcg'] as const;
export type Accel = (typeof ACCELS)[number];

/** A DUT's console as the run uses it: QEMU's pty, a board's serial line, or only a transcript (SSH). */
export interface DutConsole {
  readonly exited: Promise<unknown>;
  readonly closed: boolean;
  /** The process behind it (QEMU), 0 for a board. */
  readonly pid: number;
  /** console.log and what lies beside it: the commands run and what the DUT printed. */
  readonly transcript: Transcript;
  readonly transcriptError: string | undefined;
  onData(l: (data: string) => void): () => void;
  write(data: string): void;
  note(text: string): void;
  /**
   * Makes it a person's console (`hil shell`, `hil attach`). Absent: the command agent on it
   * is replaced by an interactive shell (handOverConsole).
   */
  handOver?(): void;
}

/** A booted DUT. Targets differ only in how they are powered and reached. */
export interface Dut {
  shell: Shell;
  /** How the DUT's CPU runs: QEMU's accelerator, or real silicon. */
  accel: Accel | 'board' | 'container';
  accelReason: string;
  bootMs: number;
  /** What the guest itself reported at readiness (kernel release, seconds since its boot). */
  banner: Record<string, string>;
  /** An emulated DUT's NICs' transmit rings as its emulator sees them (QEMU): whose fault a stalled queue is. */
  txRings?(): Promise<TxRingReport[]>;
  stop(): Promise<void>;
}

/**
 * A command line run in a subshell: the console agent evals each command in its own shell,
 * where an `exit` would end the agent and a variable or an `exec 3<` would outlive the command.
 */
export const subshell = (cmd: string): string => `(${cmd})`;

/** Runs a DUT command that must succeed; its failure carries the whole result. */
export async function mustRun(shell: Shell, cmd: string, timeoutMs?: number): Promise<string> {
  const r = await shell.run(cmd, { timeoutMs });
  if (r.exitCode !== 0) throw new CommandError({ ...r, command: `DUT: ${r.command}` });
  return r.stdout;
}

export interface ConsoleDut extends Dut {
  console: DutConsole;
}

/** Runs a DUT check every intervalMs until it exits 0; throws `what` when timeoutMs passes first. */
export async function pollUntil(shell: Shell, check: string, timeoutMs: number, what: string, intervalMs = 100): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let n = 0;
  for (;;) {
    const k = ++n;
    if ((await shell.run(check, { fold: (r) => `check ${k}: ${r.exitCode === 0 ? 'holds' : 'not yet'}` })).exitCode === 0) return;
    if (performance.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
