import { createWriteStream, type WriteStream } from 'node:fs';
import { redact } from '../util/redact.js';
import type { DutConsole } from './types.js';

/**
 * A DUT "console" that is only its transcript: a board reached by SSH alone, a container.
 * Nothing can be typed into it. It counts as closed once end() is called, or once `died`
 * settles (the container exited).
 */
export class TranscriptConsole implements DutConsole {
  private readonly out: WriteStream;
  private done = false;
  private settle!: () => void;
  readonly exited: Promise<void>;
  readonly pid = 0;
  transcriptError: string | undefined;

  constructor(path: string, died?: Promise<unknown>) {
    this.out = createWriteStream(path, { flags: 'a' });
    this.out.on('error', (e: NodeJS.ErrnoException) => (this.transcriptError ??= `${path}: ${e.code ?? e.message}`));
    this.exited = new Promise<void>((r) => (this.settle = r)).then(() => {
      this.done = true;
    });
    void died?.then(this.settle, this.settle);
  }

  get closed(): boolean {
    return this.done;
  }

  onData(): () => void {
    return () => {};
  }

  write(): void {}

  note(text: string): void {
    this.raw(`[hil] ${redact(text)}\n`);
  }

  /** Text as it came (a container's logs). */
  raw(text: string): void {
    if (!this.transcriptError && !this.out.destroyed) this.out.write(text);
  }

  /** Closes the transcript; the console counts as closed from here. */
  async end(): Promise<void> {
    this.settle();
    if (!this.transcriptError && !this.out.destroyed) await new Promise<void>((r) => this.out.end(r));
  }
}
