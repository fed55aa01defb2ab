import { CommandError, type CommandResult } from '../util/exec.js';

/** A shell on the DUT, however it is reached (serial console, SSH): labgrid's seam. */
export interface Shell {
  run(command: string, opts?: { timeoutMs?: number }): Promise<CommandResult>;
}

export const ACCELS = ['kvm', 'tcg'] as const;
export type Accel = (typeof ACCELS)[number];

/** A booted DUT. Targets differ only in how they are powered and reached. */
export interface Dut {
  shell: Shell;
  accel: Accel;
  accelReason: string;
  bootMs: number;
  /** What the guest itself reported at readiness (kernel release, seconds since its boot). */
  banner: Record<string, string>;
  stop(): Promise<void>;
}

/** Runs a DUT command that must succeed; its failure carries the whole result. */
export async function mustRun(shell: Shell, cmd: string, timeoutMs?: number): Promise<string> {
  const r = await shell.run(cmd, { timeoutMs });
  if (r.exitCode !== 0) throw new CommandError({ ...r, command: `DUT: ${r.command}` });
  return r.stdout;
}
