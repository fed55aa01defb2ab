import { readFile, writeFile } from 'node:fs/promises';
import { connect, Socket } from 'node:net';
// Loaded on first use, as the serial link is opened: a run without a board never needs it.
import type { SerialPort } from 'serialport';
import { Transcript, foldsPath, rawPath } from '../targets/transcript.js';
import { redact } from '../util/redact.js';
import type { Board } from './schema.js';

type Link = SerialPort | Socket;

/**
 * A board's console: a serial device, or a TCP serial server (ser2net in raw mode). It
 * offers what the QEMU console offers (data, write, a transcript, closing), so the same
 * login and agent code drive both. Everything received is written to the transcript.
 */
export class BoardConsole {
  private listeners: ((d: string) => void)[] = [];
  readonly transcript: Transcript;
  private done = false;
  private onClosed!: () => void;
  readonly exited: Promise<void>;
  /** Bytes the board has sent: none at all tells a dead or unpowered board from a slow one. */
  received = 0;
  /** Not a process of ours: faults aimed at QEMU do not apply. */
  readonly pid = 0;
  /** Set when no agent runs on it (commands go over SSH): see DutConsole.handOver. */
  handOver?: () => void;

  private constructor(private readonly link: Link, private readonly transcriptPath: string, readonly describe: string) {
    this.transcript = new Transcript(transcriptPath);
    this.exited = new Promise((r) => (this.onClosed = r));
    link.on('data', (b: Buffer) => {
      const d = b.toString('latin1');
      this.received += b.length;
      this.transcript.raw(d);
      for (const l of this.listeners) l(d);
    });
    link.on('close', () => this.closedNow());
    link.on('error', (e: Error) => {
      this.note(`console ${describe}: ${e.message}`);
      this.closedNow();
    });
  }

  private closedNow(): void {
    if (this.done) return;
    this.done = true;
    this.onClosed();
  }

  /** Opens the board's console; a device that is not there yet is retried until deadline. */
  static async open(board: Board, transcriptPath: string, deadline: number): Promise<BoardConsole> {
    const c = board.console!;
    const describe = c.serial ? `${c.serial.device} at ${c.serial.baud} baud` : `tcp ${c.tcp!.host}:${c.tcp!.port}`;
    // Just powered on, a USB serial adapter or a console server may take a moment to appear.
    const until = Math.min(deadline, performance.now() + 10_000);
    for (;;) {
      try {
        const link = c.serial ? await openSerial(c.serial.device, c.serial.baud) : await openTcp(c.tcp!.host, c.tcp!.port);
        const con = new BoardConsole(link, transcriptPath, describe);
        con.note(`console ${describe} open`);
        return con;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
        const retry = /ENOENT|ECONNREFUSED|No such file/.test(String(code) + (e as Error).message);
        if (!retry || performance.now() > until) throw new Error(`board ${board.name}: cannot open its console ${describe}: ${(e as Error).message}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
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
    if (!this.done) this.link.write(Buffer.from(data, 'latin1'));
  }

  note(text: string): void {
    this.transcript.note(text);
  }

  /** Closes the link (the board keeps running) and the transcript, then redacts it whole: a secret split across two reads is caught there. */
  async kill(): Promise<void> {
    if (!this.done) {
      if (isSerial(this.link)) {
        const port = this.link;
        if (port.isOpen) await new Promise<void>((r) => port.close(() => r()));
      } else this.link.destroy();
      this.closedNow();
    }
    await this.transcript.end();
    if (!this.transcriptError) {
      for (const path of [this.transcriptPath, rawPath(this.transcriptPath), foldsPath(this.transcriptPath)]) {
        const text = await readFile(path, 'latin1').catch(() => undefined);
        if (text !== undefined && redact(text) !== text) await writeFile(path, redact(text), 'latin1');
      }
    }
  }
}

const isSerial = (l: Link): l is SerialPort => !(l instanceof Socket);

async function openSerial(path: string, baudRate: number): Promise<SerialPort> {
  const { SerialPort } = await import('serialport');
  return new Promise((resolve, reject) => {
    const p: SerialPort = new SerialPort({ path, baudRate, lock: true }, (e) => (e ? reject(e) : resolve(p)));
  });
}

function openTcp(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port });
    s.once('connect', () => {
      s.off('error', reject);
      s.setNoDelay(true);
      resolve(s);
    });
    s.once('error', reject);
  });
}
