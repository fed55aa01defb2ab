import { createWriteStream, type WriteStream } from 'node:fs';
import type { CommandResult } from '../util/exec.js';
import { redact } from '../util/redact.js';

/** What the transcript shows of a command: all of it, or one line for a repeated sample. */
export interface ShowOptions {
  /** A sample taken again and again: one line (this summary), the full text in the folds file and the raw log. */
  fold?: (r: CommandResult) => string;
  /**
   * Commands joined as `A && echo SEP && B`, their outputs split by SEP lines: shown as the
   * separate commands they are, each with its own output.
   */
  parts?: string;
}

/** One folded command, in full (console.folds.jsonl, one JSON object a line). */
export interface Fold {
  id: number;
  command: string;
  summary: string;
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** A command's duration is shown when it took longer than this. */
const LONG_MS = 1000;

/** Marks a folded line in console.log; report/fold.ts and the HTML page find the full text by it. */
export const FOLD_MARK = /\(folded (\d+)\)$/;

export function rawPath(transcriptPath: string): string {
  return transcriptPath.replace(/(\.log)?$/, '.raw.log');
}

export function foldsPath(transcriptPath: string): string {
  return transcriptPath.replace(/(\.log)?$/, '.folds.jsonl');
}

/**
 * A DUT's console transcript as a person reads it (console.log): what the DUT printed on its
 * own, in the order it came, and every command the harness ran, at a prompt with the time
 * since the DUT was ready, then its output (stderr marked), its exit status when not 0 and
 * its duration when long. Beside it: console.raw.log, every byte as it came (for a console
 * DUT the agent's frames, so every command's full output), and console.folds.jsonl, the full
 * text of each folded sample. While a command agent owns the console (claim), the console's
 * bytes reach console.log only through output(): the agent's frames never do.
 */
export class Transcript {
  private readonly out: WriteStream;
  private readonly rawOut: WriteStream;
  private folds: WriteStream | undefined;
  private readonly opened = performance.now();
  private zero: number | undefined;
  private claimed = false;
  private foldSeq = 0;
  /** Whether console.log's last write ended a line: notes and prompts start on a line of their own. */
  private atLineStart = true;
  /** Per file, why it stopped being written (a full disk, say); the DUT is unaffected. */
  private readonly errors = new Map<WriteStream, string>();

  constructor(readonly path: string) {
    this.out = this.open(path);
    this.rawOut = this.open(rawPath(path));
  }

  private open(path: string): WriteStream {
    const s = createWriteStream(path, { flags: 'a' });
    s.on('error', (e: NodeJS.ErrnoException) => {
      if (!this.errors.has(s)) this.errors.set(s, `${path}: ${e.code ?? e.message}`);
    });
    return s;
  }

  /** What was lost, console.log first; undefined when every file is whole. */
  get error(): string | undefined {
    const lost = [this.out, this.rawOut, this.folds].flatMap((s) => (s && this.errors.has(s) ? [this.errors.get(s)!] : []));
    return lost.length ? lost.join('; ') : undefined;
  }

  private put(s: WriteStream | undefined, text: string): void {
    if (!s || this.errors.has(s) || s.destroyed || s.writableEnded || !text) return;
    s.write(redact(text));
  }

  private show(text: string): void {
    if (!text) return;
    this.put(this.out, text);
    this.atLineStart = text.endsWith('\n');
  }

  private newLine(): string {
    return this.atLineStart ? '' : '\n';
  }

  /** Time zero of the prompts: the DUT is ready. */
  ready(): void {
    this.zero = performance.now();
  }

  /** When a command that took tookMs began, since the DUT was ready (or the transcript opened). */
  private stamp(tookMs = 0): string {
    const s = (performance.now() - tookMs - (this.zero ?? this.opened)) / 1000;
    return `[${`${s < 0 ? '-' : '+'}${Math.abs(s).toFixed(3)}`.padStart(9)}s]`;
  }

  /** Bytes from the console as they came: always to the raw log, to console.log unless an agent owns the console. */
  raw(data: string): void {
    this.put(this.rawOut, data);
    if (!this.claimed) this.show(data);
  }

  /** An agent runs on the console: from here it says what the DUT printed on its own (output). */
  claim(): void {
    this.claimed = true;
  }

  /** A person has the console (hil shell): everything it shows goes to console.log again. */
  release(): void {
    this.claimed = false;
  }

  /** What the DUT printed on its own while an agent owned the console (kernel messages, procd). */
  output(text: string): void {
    if (this.claimed) this.show(text);
  }

  note(text: string): void {
    const line = `${this.newLine()}[hil] ${text}\n`;
    this.show(line);
    this.put(this.rawOut, `\n[hil] ${text}\n`);
  }

  /**
   * A command the harness ran, once it is over (r), or once it failed to finish (failure).
   * inRaw: its bytes are in the raw log already (the console agent's frames).
   */
  command(command: string, r: CommandResult | { failure: string; durationMs: number }, o: ShowOptions & { inRaw?: boolean } = {}): void {
    // Joined parts read as the commands they are: the separators between their outputs are the harness's, not the DUT's.
    const typed = o.parts ? command.split(` && echo ${o.parts} && `).join(' && ') : command;
    const stamp = this.stamp(r.durationMs);
    const head = `${this.newLine()}${stamp} dut# ${typed.replace(/\n/g, '\n> ')}`;
    const tail = 'failure' in r ? r.failure
      : [r.exitCode !== 0 ? `exit ${r.exitCode}` : '', r.durationMs >= LONG_MS ? `${(r.durationMs / 1000).toFixed(1)} s` : ''].filter(Boolean).join(', ');
    const full = `${head}\n${'failure' in r ? '' : body(r)}${tail ? `[${tail}]\n` : ''}`;
    if (!o.inRaw) this.put(this.rawOut, `\n${full}`);
    if ('failure' in r) return this.show(full);
    const parts = o.parts && !o.fold ? split(command, r, o.parts) : undefined;
    if (parts) {
      const each = parts.map(([c, out]) => `${stamp} dut# ${c}\n${body({ stdout: out, stderr: '' })}`).join('');
      return this.show(`${this.newLine()}${each}${body({ stdout: '', stderr: r.stderr })}${tail ? `[${tail}]\n` : ''}`);
    }
    if (!o.fold) return this.show(full);
    const id = ++this.foldSeq;
    let summary: string;
    try {
      summary = o.fold(r);
    } catch (e) {
      summary = `(no summary: ${(e as Error).message})`;
    }
    this.folds ??= this.open(foldsPath(this.path));
    this.put(this.folds, `${JSON.stringify({ id, command, summary, exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr } satisfies Fold)}\n`);
    this.show(`${head}  # ${summary}${tail ? ` [${tail}]` : ''} (folded ${id})\n`);
  }

  async end(): Promise<void> {
    // end() calls back only on success; a failed stream is closed already.
    for (const s of [this.out, this.rawOut, this.folds]) {
      if (s && !s.errored && !s.destroyed && !s.writableEnded) await new Promise<void>((r) => s.end(r));
    }
  }
}

/** [command, its stdout] for each part, or undefined when the outputs do not split as the command does. */
function split(command: string, r: CommandResult, sep: string): [string, string][] | undefined {
  const cmds = command.split(` && echo ${sep} && `);
  const outs = r.stdout.split(`${sep}\n`);
  if (cmds.length < 2 || cmds.length !== outs.length) return undefined;
  return cmds.map((c, i) => [c, outs[i]!]);
}

function body(r: { stdout: string; stderr: string }): string {
  const lines = (text: string, prefix: string) => (text ? text.replace(/\n$/, '').split('\n').map((l) => `${prefix}${l}\n`).join('') : '');
  return lines(r.stdout, '') + lines(r.stderr, 'stderr| ');
}
