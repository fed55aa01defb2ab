import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Duplex } from 'node:stream';
// Loaded on first use: a run without an SSH board never needs it.
import type ssh2 from 'ssh2';
import type { CommandResult } from '../util/exec.js';
import type { Transcript } from '../targets/transcript.js';
import type { RunOptions, Shell } from '../targets/types.js';
import type { Board } from './schema.js';
import type { InteractiveShell } from '../targets/transcript-console.js';

export class SshAuthError extends Error {}

/** OpenSSH's fingerprint form: SHA256:base64 without padding. */
export function fingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** A TCP connection opened inside a network namespace (the lab's LAN host), as a stream. */
function connectFrom(netns: string, host: string, port: number): Duplex {
  const relay = `const s=require('net').connect(${port},${JSON.stringify(host)});s.on('error',e=>{process.stderr.write(e.code||e.message);process.exit(1)});process.stdin.pipe(s);s.pipe(process.stdout);s.on('close',()=>process.exit(0))`;
  const p = execa('ip', ['netns', 'exec', netns, process.execPath, '-e', relay], { stdin: 'pipe', stdout: 'pipe', stderr: 'pipe', reject: false, buffer: false });
  const d = Duplex.from({ readable: p.stdout!, writable: p.stdin! });
  // The relay ends when the board refuses or drops the connection: ssh2 sees the stream close
  // and says so; the stream's own "premature close" must not also escape as an uncaught error.
  for (const s of [d, p.stdout!, p.stdin!]) s.on('error', () => {});
  void p.then(() => d.destroy());
  d.on('close', () => p.kill('SIGKILL'));
  return d;
}

/**
 * Commands over SSH, one exec channel each: the same {stdout, stderr, exitCode, durationMs}
 * as the console agent, with a timeout per command. The host key is checked against the
 * board's pinned fingerprint; a refused login is an SshAuthError, never retried.
 */
export class SshShell implements Shell {
  /** Where each command is written once it is over (the board's console.log). */
  transcript: Transcript | undefined;

  private constructor(private readonly conn: ssh2.Client, readonly hostKey: string, private readonly defaultTimeoutMs: number) {}

  static async connect(board: Board, lanNetns: string | undefined, timeoutMs: number): Promise<SshShell> {
    const s = board.ssh!;
    const privateKey = s.keyFile ? await readFile(s.keyFile) : undefined;
    let seen: string | undefined;
    const { default: ssh } = await import('ssh2');
    const conn = new ssh.Client();
    // ssh2 can report more than one error for one failed connection (the handshake, then the
    // socket): a persistent listener, so none of them escapes as an uncaught exception.
    let settled = false;
    await new Promise<void>((resolve, reject) => {
      conn.once('ready', () => {
        settled = true;
        resolve();
      });
      conn.on('error', (e: Error & { level?: string }) => {
        if (settled) return;
        settled = true;
        conn.end();
        if (e.level === 'client-authentication') reject(new SshAuthError(`SSH ${s.user}@${s.host}:${s.port}: the board refused the login (${s.password || board.secrets.sshPassword ? 'password' : 'key'} not accepted)`));
        else if (seen && s.hostKey && seen !== s.hostKey) reject(new SshAuthError(`SSH ${s.host}: host key ${seen} is not the pinned ${s.hostKey}`));
        else reject(e);
      });
      conn.connect({
        ...(s.from === 'lan' && lanNetns ? { sock: connectFrom(lanNetns, s.host, s.port) } : { host: s.host, port: s.port }),
        username: s.user,
        password: board.secrets.sshPassword,
        privateKey,
        passphrase: board.secrets.passphrase,
        readyTimeout: timeoutMs,
        // The stand-in for "ask the user": no keyboard here, so an unexpected prompt fails at once.
        tryKeyboard: false,
        hostVerifier: (key: Buffer) => {
          seen = fingerprint(key);
          return !s.hostKey || seen === s.hostKey;
        },
      });
    });
    return new SshShell(conn, seen ?? 'unknown', board.timeouts.commandMs);
  }

  /**
   * Connects, retrying once a second while the board comes up, until until() passes (a
   * deadline that may move). A refused login fails at once; check() may end the wait with
   * its error. Without a connection: the last reason it failed.
   */
  static async connectUntil(board: Board, lanNetns: string | undefined, until: () => number, check?: () => Error | undefined): Promise<SshShell | { last: string }> {
    let last = '';
    while (performance.now() < until()) {
      const stop = check?.();
      if (stop) throw stop;
      try {
        return await SshShell.connect(board, lanNetns, Math.max(1000, Math.min(10_000, until() - performance.now())));
      } catch (e) {
        if (e instanceof SshAuthError) throw e;
        last = (e as Error).message;
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
    return { last };
  }

  /** A person's login shell on the board, on a pseudo-terminal of its own. */
  interactive(): Promise<InteractiveShell> {
    return new Promise((resolve, reject) => this.conn.shell({ term: 'xterm' }, (err, channel) => (err ? reject(new Error(`SSH: ${err.message}`)) : resolve(channel))));
  }

  async run(command: string, opts: RunOptions = {}): Promise<CommandResult> {
    const start = performance.now();
    try {
      const r = await this.exec(command, opts.timeoutMs ?? this.defaultTimeoutMs);
      this.transcript?.command(command, r, opts);
      return r;
    } catch (e) {
      this.transcript?.command(command, { failure: (e as Error).message, durationMs: performance.now() - start });
      throw e;
    }
  }

  private exec(command: string, timeoutMs: number): Promise<CommandResult> {
    const start = performance.now();
    return new Promise((resolve, reject) => {
      this.conn.exec(command, (err, stream) => {
        if (err) return reject(new Error(`SSH: ${err.message} (running "${command.slice(0, 80)}")`));
        let stdout = '';
        let stderr = '';
        let code: number | null = null;
        const timer = setTimeout(() => {
          stream.close();
          reject(new Error(`command "${command.slice(0, 80)}" timed out after ${timeoutMs} ms (SSH)`));
        }, timeoutMs);
        stream.on('data', (d: Buffer) => (stdout += d.toString()));
        stream.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        stream.on('exit', (c: number | null) => (code = c));
        stream.on('close', () => {
          clearTimeout(timer);
          resolve({ command, exitCode: code ?? 255, stdout, stderr, durationMs: performance.now() - start });
        });
      });
    });
  }

  /** Streams a local file into path on the board (`cat >`, which every busybox has; no sftp needed). */
  push(local: string, remote: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.conn.exec(`cat > '${remote.replace(/'/g, `'\\''`)}'`, (err, stream) => {
        if (err) return reject(new Error(`SSH: pushing ${local}: ${err.message}`));
        let code: number | null = null;
        let stderr = '';
        const timer = setTimeout(() => {
          stream.close();
          reject(new Error(`pushing ${local} to the board took longer than ${timeoutMs} ms`));
        }, timeoutMs);
        stream.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        // The channel closes only once its (empty) stdout has been read to the end.
        stream.resume();
        stream.on('exit', (c: number | null) => (code = c));
        stream.on('close', () => {
          clearTimeout(timer);
          if (code === 0) resolve();
          else reject(new Error(`pushing ${local} to the board failed (exit ${code ?? 'none'}): ${stderr.trim()}`));
        });
        const src = createReadStream(local);
        src.on('error', (e) => {
          clearTimeout(timer);
          stream.close();
          reject(new Error(`reading ${local}: ${e.message}`));
        });
        src.pipe(stream);
      });
    });
  }

  close(): void {
    this.conn.end();
  }
}
