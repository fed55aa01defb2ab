import { Transcript } from './transcript.js';
import type { DutConsole } from './types.js';

/** An interactive shell on the DUT, opened apart from its command channel (an SSH shell, a TTY exec). */
export interface InteractiveShell {
  write(data: string): void;
  on(event: 'data', l: (d: Buffer) => void): void;
  on(event: 'close' | 'end', l: () => void): void;
  end(): void;
}

/**
 * A DUT "console" that is only its transcript: a board reached by SSH alone, a container.
 * Nothing the run does is typed into it. It counts as closed once end() is called, or once
 * `died` settles (the container exited). handOver() opens an interactive shell (openShell)
 * for a person; what they see is written to the transcript too.
 */
export class TranscriptConsole implements DutConsole {
  readonly transcript: Transcript;
  private done = false;
  private settle!: () => void;
  readonly exited: Promise<void>;
  readonly pid = 0;
  private listeners: ((d: string) => void)[] = [];
  private shell: InteractiveShell | undefined;
  /** Keys typed before the shell is open. */
  private pending = '';

  constructor(path: string, died?: Promise<unknown>, private readonly openShell?: () => Promise<InteractiveShell>) {
    this.transcript = new Transcript(path);
    this.exited = new Promise<void>((r) => (this.settle = r)).then(() => {
      this.done = true;
    });
    void died?.then(this.settle, this.settle);
  }

  get transcriptError(): string | undefined {
    return this.transcript.error;
  }

  get closed(): boolean {
    return this.done;
  }

  onData(l: (d: string) => void): () => void {
    this.listeners.push(l);
    return () => {
      this.listeners = this.listeners.filter((x) => x !== l);
    };
  }

  write(data: string): void {
    if (this.shell) this.shell.write(data);
    else this.pending += data;
  }

  handOver(): void {
    if (!this.openShell) {
      // After the caller has subscribed (it does so right after handing over).
      void Promise.resolve().then(() => this.emit('[hil] this DUT has no interactive shell\r\n'));
      return;
    }
    this.note('an interactive shell for a person');
    this.openShell().then((sh) => {
      this.shell = sh;
      sh.on('data', (d: Buffer) => {
        const text = d.toString('utf8');
        this.raw(text);
        this.emit(text);
      });
      // The person's shell ended (exit): the session has nothing more to show.
      sh.on('close', () => this.emit('\r\n[hil] the interactive shell ended\r\n'));
      if (this.pending) sh.write(this.pending);
      this.pending = '';
    }, (e: Error) => this.emit(`[hil] no interactive shell: ${e.message}\r\n`));
  }

  private emit(text: string): void {
    for (const l of this.listeners) l(text);
  }

  note(text: string): void {
    this.transcript.note(text);
  }

  /** Text as it came (a container's logs, a person's shell). */
  raw(text: string): void {
    this.transcript.raw(text);
  }

  /** Closes the transcript and any interactive shell; the console counts as closed from here. */
  async end(): Promise<void> {
    this.shell?.end();
    this.settle();
    await this.transcript.end();
  }
}
