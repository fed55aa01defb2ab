import pty from '@lydell/node-pty';
import { Transcript } from './transcript.js';

/**
 * A program (QEMU) whose stdio is a pseudo-terminal: the DUT console the agent talks over.
 * Everything it prints goes to the transcript as it arrives.
 */
export class PtyConsole {
  private readonly proc: pty.IPty;
  readonly transcript: Transcript;
  private listeners: ((data: string) => void)[] = [];
  readonly exited: Promise<{ exitCode: number; signal?: number }>;
  private done = false;

  constructor(file: string, args: string[], transcriptPath: string) {
    this.transcript = new Transcript(transcriptPath);
    // QEMU keeps OPOST on its stdio terminal; clearing ONLCR first keeps the guest's
    // bytes as they are (no LF -> CRLF), so command output is exact.
    this.proc = pty.spawn('sh', ['-c', 'stty -onlcr -echo; exec "$@"', 'sh', file, ...args], {
      name: 'dumb',
      cols: 500,
      rows: 50,
      env: { ...process.env, TERM: 'dumb' } as Record<string, string>,
    });
    this.proc.onData((d) => {
      this.transcript.raw(d);
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

  /** Why the transcript stopped being written (a full disk, say); the DUT is unaffected. */
  get transcriptError(): string | undefined {
    return this.transcript.error;
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
    this.transcript.note(text);
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
    await this.transcript.end();
  }
}
