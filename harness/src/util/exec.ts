import { execa } from 'execa';

/** Every command, failed or not, has this shape (execa's lesson): reports never special-case failures. */
export interface CommandResult {
  command: string;
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export interface ExecOptions {
  timeoutMs?: number;
  input?: string;
  signal?: AbortSignal;
}

export async function exec(file: string, args: readonly string[], opts: ExecOptions = {}): Promise<CommandResult> {
  const start = performance.now();
  const r = await execa(file, args, {
    reject: false,
    timeout: opts.timeoutMs,
    input: opts.input,
    cancelSignal: opts.signal,
    stripFinalNewline: false,
  });
  return {
    command: [file, ...args].join(' '),
    // A command that never ran (ENOENT) still gets the common shape: 127, as a shell says.
    exitCode: r.exitCode ?? (r.timedOut ? 124 : r.code === 'ENOENT' ? 127 : 128),
    stdout: String(r.stdout ?? ''),
    stderr: String(r.stderr ?? '') + (r.timedOut ? `\n(timed out after ${opts.timeoutMs} ms)` : r.exitCode === undefined ? r.shortMessage : ''),
    durationMs: performance.now() - start,
  };
}

/** Like exec, but a non-zero exit is an error carrying the whole result. */
export async function execOk(file: string, args: readonly string[], opts: ExecOptions = {}): Promise<CommandResult> {
  const r = await exec(file, args, opts);
  if (r.exitCode !== 0) throw new CommandError(r);
  return r;
}

export class CommandError extends Error {
  constructor(readonly result: CommandResult) {
    super(`${result.command} exited ${result.exitCode}: ${(result.stderr || result.stdout).trim().split('\n').slice(-3).join(' | ')}`);
  }
}
