import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import type { LabNames } from '../lab/names.js';
import type { HostSide } from '../lab/hosts.js';
import type { DutConsole } from '../targets/types.js';
import { alive } from '../util/process.js';
import type { ConsoleIo } from './terminal.js';

/** Live labs a person can reach: `hil shell`, and failed labs kept by `hil run --keep-on-failure`. */
export const SESSION_DIR = process.env.HIL_SESSION_DIR ?? '/run/offload-hil/sessions';

export interface SessionInfo {
  id: string;
  scenario: string;
  pid: number;
  startedAt: string;
  ns: LabNames['ns'];
  /** Container lab hosts: their pids, so `hil exec` runs the image's tools in all their namespaces. */
  hostPids?: Record<HostSide, number>;
  socket: string;
}

/**
 * Gives the console to an interactive shell started by the DUT's command agent, which waits
 * for it and never answers: from here on the console is a person's. The agent runs in the
 * console's session with the console as its controlling terminal, so the shell has job
 * control: Ctrl-C and Ctrl-Z reach the foreground command. A child, not `exec`: on the
 * default image the agent is PID 1, and the kernel never stops (Ctrl-Z) a job whose shell
 * is init, taking its process group for orphaned.
 */
export function handOverConsole(con: DutConsole): void {
  con.note('console handed over to an interactive shell');
  con.transcript.release();
  con.write(`hil-shell P stty sane </proc/self/fd/1; PS1='dut# '; export PS1; /bin/sh -i </proc/self/fd/1 >/proc/self/fd/1 2>&1\n`);
}

/**
 * Serves one kept lab on a unix socket: "attach" joins the DUT console to the client
 * (one at a time), "down" ends the session. Its folder holds what `hil exec` needs.
 */
export class Session {
  readonly info: SessionInfo;
  private server: Server | undefined;
  private handedOver = false;
  private attached: Socket | undefined;
  private resolveDown!: () => void;
  /** Resolves when `hil down` asked for it, or end() was called. */
  readonly down = new Promise<void>((r) => (this.resolveDown = r));

  constructor(id: string, scenario: string, ns: LabNames['ns'], private readonly con: DutConsole, hostPids?: Record<HostSide, number>) {
    const dir = join(SESSION_DIR, id);
    this.info = { id, scenario, pid: process.pid, startedAt: new Date().toISOString(), ns, ...(hostPids && { hostPids }), socket: join(dir, 'console.sock') };
  }

  async start(): Promise<void> {
    const dir = join(SESSION_DIR, this.info.id);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    this.server = createServer((sock) => this.onClient(sock));
    await new Promise<void>((res, rej) => this.server!.once('error', rej).listen(this.info.socket, res));
    await writeFile(join(dir, 'session.json'), JSON.stringify(this.info, null, 2));
  }

  /** The DUT console as a person's: the first use replaces the agent with a shell. */
  console(): ConsoleIo {
    if (!this.handedOver) {
      this.handedOver = true;
      if (this.con.handOver) this.con.handOver();
      else handOverConsole(this.con);
    }
    return { write: (d) => this.con.write(d), onData: (l) => this.con.onData(l) };
  }

  /** Resolves when QEMU is gone (powered off from inside, or killed). */
  get dutGone(): Promise<unknown> {
    return this.con.exited;
  }

  private onClient(sock: Socket): void {
    let first = '';
    const onCommand = (chunk: Buffer) => {
      first += chunk.toString('utf8');
      const nl = first.indexOf('\n');
      if (nl < 0) return;
      sock.off('data', onCommand);
      const cmd = first.slice(0, nl).trim();
      const rest = first.slice(nl + 1);
      if (cmd === 'down') {
        sock.end('ok\n');
        this.resolveDown();
      } else if (cmd === 'attach') {
        if (this.attached) return void sock.end(`session ${this.info.id}: the console is already attached elsewhere\n`);
        this.attached = sock;
        const io = this.console();
        sock.write('ok\n');
        const off = io.onData((d) => sock.write(d));
        if (rest) io.write(rest);
        sock.on('data', (d) => io.write(d.toString('utf8')));
        const done = () => {
          off();
          if (this.attached === sock) this.attached = undefined;
        };
        sock.on('close', done);
        sock.on('error', done);
      } else {
        sock.end(`unknown request "${cmd}"\n`);
      }
    };
    sock.on('data', onCommand);
    sock.on('error', () => {});
  }

  async end(): Promise<void> {
    this.resolveDown();
    this.attached?.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    await rm(join(SESSION_DIR, this.info.id), { recursive: true, force: true });
  }
}

/** Sessions whose holder is alive (a dead holder's folder is removed on the way). */
export async function listSessions(): Promise<SessionInfo[]> {
  const out: SessionInfo[] = [];
  for (const d of await readdir(SESSION_DIR).catch(() => [] as string[])) {
    const info = await readFile(join(SESSION_DIR, d, 'session.json'), 'utf8').then((t) => JSON.parse(t) as SessionInfo).catch(() => undefined);
    if (!info) continue; // still starting, or not ours
    if (alive(info.pid)) out.push(info);
    else await rm(join(SESSION_DIR, d), { recursive: true, force: true });
  }
  return out.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
}
