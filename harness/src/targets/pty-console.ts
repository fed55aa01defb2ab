import { createWriteStream, type WriteStream } from 'node:fs';
import pty from '@lydell/node-pty';

/**
 * A program (QEMU) whose stdio is a pseudo-terminal: the DUT console the agent talks over.
 * Everything it prints goes to the transcript file as it arrives.
 */
export class PtyConsole {
  private readonly proc: pty.IPty;
  private readonly transcript: WriteStream;
  private listeners: ((data: string) => void)[] = [];
  readonly exited: Promise<{ exitCode: number; signal?: number }>;
  private done = false;
  /** Why the transcript stopped being written (a full disk, say); the DUT is unaffected. */
  transcriptError: string | undefined;

  constructor(file: string, args: string[], transcriptPath: string) {
    this.transcript = createWriteStream(transcriptPath, { flags: 'a' });
    this.transcript.on('error', (e: NodeJS.ErrnoException) => {
      this.transcriptError ??= `${transcriptPath}: ${e.code ?? e.message}`;
    });
    // QEMU keeps OPOST on its stdio terminal; clearing ONLCR first keeps the guest's
    // bytes as they are (no LF -> CRLF), so command output is exact.
    this.proc = pty.spawn('sh', ['-c', 'stty -onlcr -echo; exec "$@"', 'sh', file, ...args], {
      name: 'dumb',
      cols: 500,
      rows: 50,
      env: { ...process.env, TERM: 'dumb' } as Record<string, string>,
    });
    this.proc.onData((d) => {
      if (!this.transcriptError) this.transcript.write(d);
      for (const l of this.listeners) l(d);
    });
    this.exited = new Promise((resolve) =>
      this.proc.onExit((e) => {
        this.done = true;
        resolve(e);
      }),
    );
  }

  get pid(): number {
    return this.proc.pid;
  }

  get closed(): boolean {
    return this.done;
  }

  onData(l: (data: string) => void): () => void {
    this.listeners.push(l);
    return () => {
      this.listeners = this.listeners.filter((x) => x !== l);
    };
  }

  write(data: string): void {
    if (!this.done) this.proc.write(data);
  }

  note(text: string): void {
    if (!this.transcriptError) this.transcript.write(`\n[hil] ${text}\n`);
  }

  /** SIGTERM, then SIGKILL if it is still there after graceMs. */
  async kill(graceMs = 2000): Promise<void> {
    if (!this.done) {
      try {
        process.kill(this.proc.pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
      const timer = setTimeout(() => {
        try {
          process.kill(this.proc.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }, graceMs);
      await this.exited;
      clearTimeout(timer);
    }
    // end() calls back only on success; a failed stream is already closed.
    if (!this.transcriptError && !this.transcript.destroyed) await new Promise<void>((r) => this.transcript.end(r));
  }
}
