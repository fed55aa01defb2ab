/** What stops a run or a shell: Ctrl-C, a kill, and SIGHUP (the terminal closed, an SSH session dropped). */
const STOP: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Calls onStop for each stop signal until the returned function is called. After SIGHUP the
 * terminal may be gone: reading or writing it fails (EIO), and an unhandled stream error would
 * kill the process half-way through tearing its labs down, so those errors are ignored from then on.
 */
export function onStopSignals(onStop: (sig: NodeJS.Signals) => void): () => void {
  const handler = (sig: NodeJS.Signals) => {
    if (sig === 'SIGHUP') for (const s of [process.stdin, process.stdout, process.stderr]) s.on('error', () => {});
    onStop(sig);
  };
  for (const sig of STOP) process.on(sig, handler);
  return () => {
    for (const sig of STOP) process.off(sig, handler);
  };
}
