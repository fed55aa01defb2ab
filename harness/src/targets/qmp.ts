import { connect, type Socket } from 'node:net';

/**
 * A minimal QEMU Machine Protocol client: one command in flight at a time, which is
 * all the harness needs (save state, resume). Events are ignored.
 */
export class Qmp {
  private buf = '';
  private pending: { resolve: (v: unknown) => void; reject: (e: Error) => void } | undefined;
  private closedWith: Error | undefined;

  private constructor(private readonly sock: Socket) {
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      this.buf += d;
      let nl: number;
      while ((nl = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, nl).trim();
        this.buf = this.buf.slice(nl + 1);
        if (line) this.onMessage(JSON.parse(line) as Record<string, unknown>);
      }
    });
    const fail = (e: Error) => {
      this.closedWith ??= e;
      this.pending?.reject(e);
      this.pending = undefined;
    };
    sock.on('error', fail);
    sock.on('close', () => fail(new Error('QMP connection closed (QEMU exited?)')));
  }

  /** Connects (QEMU creates the socket shortly after it starts) and negotiates capabilities. */
  static async connect(path: string, timeoutMs = 5000): Promise<Qmp> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const sock = await new Promise<Socket>((resolve, reject) => {
          const s = connect(path);
          s.once('connect', () => resolve(s));
          s.once('error', reject);
        });
        const q = new Qmp(sock);
        await q.greeting();
        await q.execute('qmp_capabilities');
        return q;
      } catch (e) {
        if (Date.now() > deadline) throw new Error(`QMP socket ${path}: ${(e as Error).message}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }

  private greeting(): Promise<unknown> {
    return new Promise((resolve, reject) => (this.pending = { resolve, reject }));
  }

  private onMessage(m: Record<string, unknown>): void {
    if ('event' in m) return;
    const p = this.pending;
    this.pending = undefined;
    if (!p) return;
    if ('error' in m) {
      const err = m.error as { class?: string; desc?: string };
      p.reject(new Error(`QMP: ${err.desc ?? err.class ?? 'error'}`));
    } else p.resolve('QMP' in m ? m.QMP : m.return);
  }

  /**
   * timeoutMs: a QEMU whose main loop is stuck never answers; past it the command fails and
   * the connection is closed (its answer could only come after, for a command nobody awaits).
   */
  execute<T = unknown>(command: string, args?: Record<string, unknown>, timeoutMs?: number): Promise<T> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    if (this.pending) return Promise.reject(new Error('QMP: a command is already in flight'));
    return new Promise<T>((resolve, reject) => {
      const timer = timeoutMs === undefined ? undefined : setTimeout(() => {
        this.closedWith ??= new Error(`QMP did not answer ${command} in ${timeoutMs} ms`);
        this.pending = undefined;
        reject(this.closedWith);
        this.sock.destroy();
      }, timeoutMs);
      const settle = <V>(f: (v: V) => void) => (v: V) => {
        clearTimeout(timer);
        f(v);
      };
      this.pending = { resolve: settle(resolve as (v: unknown) => void), reject: settle(reject) };
      this.sock.write(JSON.stringify(args ? { execute: command, arguments: args } : { execute: command }) + '\n');
    });
  }

  close(): void {
    this.sock.destroy();
  }
}
