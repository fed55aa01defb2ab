/** Ctrl-]: telnet's escape, which no shell or editor on the DUT needs. */
export const DETACH = '\x1d';

export interface ConsoleIo {
  write: (d: string) => void;
  onData: (l: (d: string) => void) => () => void;
}

/**
 * Joins the user's terminal to a console until Ctrl-], until `ended` resolves, or until the
 * terminal closes (its input ends or fails: a hung-up terminal reads EIO). The terminal is raw
 * meanwhile, so every key (Ctrl-C too) goes to the DUT; it is restored on every path.
 */
export async function joinTerminal(
  io: ConsoleIo, ended: Promise<unknown>,
  stdin: NodeJS.ReadStream = process.stdin, stdout: NodeJS.WritableStream = process.stdout,
): Promise<'detached' | 'ended' | 'closed'> {
  const wasRaw = stdin.isTTY ? stdin.isRaw : false;
  if (stdin.isTTY) stdin.setRawMode(true);
  const off = io.onData((d) => stdout.write(d));
  let onKeys: ((b: Buffer) => void) | undefined;
  let onClosed: (() => void) | undefined;
  try {
    return await new Promise<'detached' | 'ended' | 'closed'>((resolve) => {
      onKeys = (b: Buffer) => {
        const text = b.toString('utf8');
        const i = text.indexOf(DETACH);
        if (i < 0) return io.write(text);
        if (i > 0) io.write(text.slice(0, i));
        resolve('detached');
      };
      onClosed = () => resolve('closed');
      stdin.on('data', onKeys).once('end', onClosed).once('error', onClosed);
      stdin.resume();
      void ended.then(() => resolve('ended'));
    });
  } finally {
    if (onKeys) stdin.off('data', onKeys);
    if (onClosed) stdin.off('end', onClosed).off('error', onClosed);
    off();
    if (stdin.isTTY && !stdin.destroyed) restoreMode(stdin, wasRaw);
    stdin.pause();
  }
}

/** A hung-up terminal has no mode left to restore: setting it fails with EIO. */
function restoreMode(stdin: NodeJS.ReadStream, raw: boolean): void {
  try {
    stdin.setRawMode(raw);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EIO') throw e;
  }
}
