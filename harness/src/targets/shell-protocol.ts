import type { CommandResult } from '../util/exec.js';
import type { Transcript } from './transcript.js';
import type { RunOptions, Shell } from './types.js';

/**
 * The host side of the DUT agent's framing (images/default/rootfs/usr/lib/hil/agent):
 *   send  "<id> P <command>\n" or "<id> O <octal-escaped>\n"
 *   read  RS<id> B\n <stdout> \nRS<id> X <rc>\n <stderr> \nRS<id> Z\n
 * Markers carry a unique id and the exit code, so no prompt is ever guessed at.
 */
export const RS = '\x1e';

/**
 * Plain commands go as they are; anything else (newlines, control bytes, UTF-8) as octal
 * escapes that the agent turns back with `printf %b`, which every busybox and dash has
 * (OpenWrt's busybox may lack base64).
 */
export function encodeCommand(id: string, command: string): string {
  const plain = /^[\x20-\x7e]*$/.test(command) && command.trim() === command && command.length > 0;
  if (plain) return `${id} P ${command}\n`;
  let out = '';
  for (const b of Buffer.from(command)) out += b >= 0x20 && b <= 0x7e && b !== 0x5c ? String.fromCharCode(b) : `\\0${b.toString(8).padStart(3, '0')}`;
  return `${id} O ${out}\n`;
}

export interface Frame {
  stdout: string;
  stderr: string;
  exitCode: number;
  /** Index just past the frame in the buffer. */
  end: number;
}

/** Finds the complete frame for id in buf, or undefined while it is still arriving. */
export function parseFrame(buf: string, id: string): Frame | undefined {
  const begin = `${RS}${id} B\n`;
  const b = buf.indexOf(begin);
  if (b < 0) return undefined;
  const endMark = `\n${RS}${id} Z\n`;
  const z = buf.indexOf(endMark, b);
  if (z < 0) return undefined;
  const x = buf.lastIndexOf(`\n${RS}${id} X `, z);
  if (x < b) return undefined;
  const rcEnd = buf.indexOf('\n', x + 1 + RS.length + id.length + 3);
  const exitCode = Number(buf.slice(x + 1 + RS.length + id.length + 3, rcEnd));
  return {
    stdout: buf.slice(b + begin.length, x),
    stderr: buf.slice(rcEnd + 1, z),
    exitCode: Number.isFinite(exitCode) ? exitCode : 255,
    end: z + endMark.length,
  };
}

export interface Banner {
  fields: Record<string, string>;
  end: number;
}

/** The agent's readiness line: RS"HIL-READY k=v k=v\n". */
export function parseBanner(buf: string): Banner | undefined {
  const m = new RegExp(`${RS}HIL-READY ([^\\n]*)\\n`).exec(buf);
  if (!m) return undefined;
  const fields: Record<string, string> = {};
  for (const kv of (m[1] ?? '').trim().split(/\s+/)) {
    const i = kv.indexOf('=');
    if (i > 0) fields[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return { fields, end: m.index + m[0].length };
}

export class ShellTimeoutError extends Error {}
export class ConsoleClosedError extends Error {}

export interface ConsoleLike {
  onData(l: (d: string) => void): () => void;
  write(d: string): void;
  readonly closed: boolean;
  readonly exited: Promise<unknown>;
  /** Where the commands and what the DUT printed around them are written. */
  readonly transcript?: Transcript;
}

/**
 * A command line as the host sent it, echoed by a cooked terminal (OpenWrt: no stty) when it
 * arrives before the agent is back in `read -s`: protocol, not output. Often only its start,
 * cut off by the frame that follows once echo is off again.
 */
const ECHOED = /^(?:[0-9a-z]+|hil-\w+) [POB](?: .*)?(?:\r?\n|$)/gm;
const FRAME_BEGIN = new RegExp(`^${RS}([0-9a-z]+) B\n`);

/** One command at a time over a console; a timed-out command leaves the shell unusable, and says so. */
export class ConsoleShell implements Shell {
  private buf = '';
  private seq = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private broken: string | undefined;
  private waiter: (() => void) | undefined;
  /** Ids whose answers are awaited (a command, a restore's probes): their frames are left in the buffer for them. */
  private readonly pending = new Set<string>();
  /** waitReady is waiting for the agent's banner; otherwise a banner is dropped like a stale answer. */
  private awaitingBanner = false;
  /** The end of what the DUT printed on its own, kept for the reason a console closed. */
  private loose = '';

  /** The agent's terminal is cooked (no stty on the DUT): the line discipline wrote every LF as CR LF. */
  private cooked = false;

  constructor(private readonly con: ConsoleLike, private readonly defaultTimeoutMs: number) {
    con.transcript?.claim();
    con.onData((d) => {
      const from = this.buf.length;
      this.buf += d;
      // A CR at the end of the last chunk may pair with this chunk's LF.
      if (this.cooked) this.buf = this.buf.slice(0, Math.max(0, from - 1)) + this.buf.slice(Math.max(0, from - 1)).replace(/\r\n/g, '\n');
      this.flushLoose();
      this.waiter?.();
    });
    void con.exited.then(() => {
      this.flushLoose(true);
      // panic=1 and -no-reboot: a panicking guest ends QEMU; its last words say why.
      const panic = /Kernel panic - not syncing[^\r\n]*/.exec(this.loose + this.buf);
      this.broken ??= panic ? `the DUT kernel panicked (${panic[0]}); QEMU exited` : 'the DUT console closed (QEMU exited)';
      this.waiter?.();
    });
  }

  /**
   * What the DUT printed outside any frame (the boot log, kernel messages, procd) goes to the
   * transcript as whole lines as soon as it arrives; the agent's frames never do. A complete
   * frame nobody waits for (a restore's extra probes) is dropped. all: the console closed,
   * a partial line is all there will be.
   */
  private flushLoose(all = false): void {
    for (;;) {
      const rs = this.buf.indexOf(RS);
      const upto = rs >= 0 ? rs : all ? this.buf.length : this.buf.lastIndexOf('\n') + 1;
      if (upto > 0) {
        const text = this.buf.slice(0, upto);
        this.buf = this.buf.slice(upto);
        this.loose = (this.loose + text).slice(-4096);
        this.con.transcript?.output(text.replace(ECHOED, ''));
      }
      if (rs < 0) return;
      if (this.buf.startsWith(`${RS}HIL-READY`) && this.awaitingBanner) return;
      const begin = FRAME_BEGIN.exec(this.buf);
      if (begin && this.pending.has(begin[1]!)) return;
      const stale = begin && parseFrame(this.buf, begin[1]!);
      if (stale) {
        this.buf = this.buf.slice(stale.end);
        continue;
      }
      // A frame still arriving waits for its end, unless its command was given up (a timeout):
      // then its marker lines go, and what it printed is shown as the DUT's own output.
      const eol = this.buf.indexOf('\n');
      if (eol < 0 || (begin && !this.broken)) return;
      this.buf = this.buf.slice(eol + 1);
    }
  }

  /** Waits for the agent's banner; what came before it (the boot log) is in the transcript already. */
  async waitReady(timeoutMs: number, signal?: AbortSignal): Promise<Record<string, string>> {
    this.awaitingBanner = true;
    let b: Banner;
    try {
      b = await this.until(() => parseBanner(this.buf), timeoutMs, 'waiting for the DUT shell', signal);
    } finally {
      this.awaitingBanner = false;
    }
    this.buf = this.buf.slice(b.end);
    this.setTty(b.fields.tty);
    this.flushLoose();
    return b.fields;
  }

  /** From the agent's banner (tty=raw|cooked); a restored agent's comes from its snapshot. */
  setTty(tty: string | undefined): void {
    this.cooked = tty === 'cooked';
    if (this.cooked) this.buf = this.buf.replace(/\r\n/g, '\n');
  }

  /**
   * A restored guest prints no banner: its agent is already waiting for a line. Bytes sent
   * while QEMU is still loading the state can be lost, so the probe repeats until one answers.
   */
  async waitAnswer(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const ids: string[] = [];
    const probe = () => {
      const id = (++this.seq).toString(36);
      ids.push(id);
      this.pending.add(id);
      this.con.write(encodeCommand(id, 'true'));
    };
    probe();
    const every = setInterval(probe, 50);
    try {
      const f = await this.until(
        () => ids.map((id) => parseFrame(this.buf, id)).find((f) => f !== undefined),
        timeoutMs, 'waiting for the restored DUT shell', signal,
      );
      this.buf = this.buf.slice(f.end);
    } finally {
      clearInterval(every);
      for (const id of ids) this.pending.delete(id);
      // The other probes' answers, when they come, are dropped as answers nobody waits for.
      this.flushLoose();
    }
  }

  run(command: string, opts: RunOptions = {}): Promise<CommandResult> {
    const next = this.queue.then(() => this.runNow(command, opts.timeoutMs ?? this.defaultTimeoutMs, opts));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async runNow(command: string, timeoutMs: number, show: RunOptions): Promise<CommandResult> {
    if (this.broken) throw new ConsoleClosedError(`DUT shell unusable: ${this.broken}`);
    // Sequence numbers never repeat within one console, and every byte in costs an emulated UART interrupt.
    const id = (++this.seq).toString(36);
    const start = performance.now();
    this.pending.add(id);
    let r: CommandResult;
    try {
      this.con.write(encodeCommand(id, command));
      const f = await this.until(() => parseFrame(this.buf, id), timeoutMs, `command "${command.slice(0, 80)}"`);
      this.buf = this.buf.slice(f.end);
      r = { command, exitCode: f.exitCode, stdout: f.stdout, stderr: f.stderr, durationMs: performance.now() - start };
    } catch (e) {
      // What the command printed before it stopped answering is part of the story.
      const begun = this.buf.indexOf(`${RS}${id} B\n`);
      const partial = begun >= 0 ? this.buf.slice(begun + id.length + 4).split(RS)[0]! : '';
      if (begun >= 0) this.buf = this.buf.slice(0, begun) + this.buf.slice(begun + id.length + 4 + partial.length);
      this.con.transcript?.command(command, { failure: `${(e as Error).message}${partial.trim() ? `; its output so far:\n${partial.trim()}` : ''}`, durationMs: performance.now() - start }, { inRaw: true });
      this.pending.delete(id);
      this.flushLoose();
      throw e;
    } finally {
      this.pending.delete(id);
    }
    this.con.transcript?.command(command, r, { ...show, inRaw: true });
    this.flushLoose();
    return r;
  }

  private until<T>(probe: () => T | undefined, timeoutMs: number, what: string, signal?: AbortSignal): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const finish = (err?: Error, v?: T) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.waiter = undefined;
        if (err) reject(err);
        else resolve(v as T);
      };
      const check = () => {
        const v = probe();
        if (v !== undefined) finish(undefined, v);
        else if (this.broken) finish(new ConsoleClosedError(`${what}: ${this.broken}`));
      };
      const onAbort = () => finish(new Error(`${what}: interrupted`));
      const timer = setTimeout(() => {
        this.broken = `${what} timed out after ${timeoutMs} ms`;
        finish(new ShellTimeoutError(this.broken));
      }, timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiter = check;
      check();
    });
  }
}
