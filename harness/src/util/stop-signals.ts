/** What stops a run or a shell: Ctrl-C, a kill, and SIGHUP (the terminal closed, an SSH session dropped). */
const STOP: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** The reader of our output, or the terminal, is gone: what is written to it can only be dropped. */
const GONE = new Set(['EIO', 'EPIPE', 'ECONNRESET']);

/**
 * When a terminal goes away, the first write to it or read from it fails (EIO; EPIPE for a pipe
 * whose reader died) and Node raises that as an error event on the stream, often before the
 * SIGHUP that comes with it is handled. Unhandled, it kills the process half-way through tearing
 * its labs down; so every hil command (main) starts with this: such errors drop the output and
 * nothing else.
 */
export function guardStdio(): void {
  for (const s of [process.stdin, process.stdout, process.stderr]) {
    s.on('error', (e: NodeJS.ErrnoException) => {
      if (!GONE.has(e.code ?? '')) throw e;
    });
  }
}

/** Calls onStop for each stop signal until the returned function is called. */
export function onStopSignals(onStop: (sig: NodeJS.Signals) => void): () => void {
  for (const sig of STOP) process.on(sig, onStop);
  return () => {
    for (const sig of STOP) process.off(sig, onStop);
  };
}
