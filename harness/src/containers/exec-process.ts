import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import type { HostProcess, SpawnOptions } from '../lab/hosts.js';

/**
 * Prints the shell's pid, then execs the command by its full path from PATH: busybox's shell
 * would otherwise run its own applet of that name (its ping, say) over the image's tool.
 */
const RUN = 'echo "$$"; c=$1; shift; case $c in */*) ;; *) IFS=:; for d in $PATH; do if [ -x "$d/$c" ]; then c=$d/$c; break; fi; done; unset IFS;; esac; exec "$c" "$@"';

/**
 * A long-running command in a container through the Engine API's exec. The API cannot signal
 * an exec, so the command's shell first prints its pid (then execs the command, keeping that
 * pid), and a signal is a second exec of `kill`.
 */
export function spawnInContainer(docker: Docker, container: Docker.Container, argv: string[], opts: SpawnOptions = {}): HostProcess {
  const stdout = new PassThrough();
  let out = '';
  let err = '';
  let gotPid!: (p: number | undefined) => void;
  const pid = new Promise<number | undefined>((r) => (gotPid = r));
  let ended = false;

  const kill = (sig: 'SIGINT' | 'SIGKILL') => {
    void pid.then(async (p) => {
      if (!p || ended) return;
      const k = await container.exec({ Cmd: ['kill', `-${sig.slice(3)}`, String(p)], AttachStdout: false, AttachStderr: false }).catch(() => undefined);
      await k?.start({ Detach: true }).catch(() => undefined);
    });
  };

  const done = (async () => {
    const exec = await container.exec({ Cmd: ['/bin/sh', '-c', RUN, 'sh', ...argv], AttachStdout: true, AttachStderr: true });
    const stream = await exec.start({ hijack: true, stdin: false });
    const o = new PassThrough();
    const e = new PassThrough();
    // The first line is the shell's pid; everything after it is the command's own output.
    let head: string | null = '';
    o.on('data', (d: Buffer) => {
      let text = d.toString();
      if (head !== null) {
        head += text;
        const nl = head.indexOf('\n');
        if (nl < 0) return;
        gotPid(Number(head.slice(0, nl)) || undefined);
        text = head.slice(nl + 1);
        head = null;
        if (!text) return;
      }
      out += text;
      stdout.write(text);
    });
    e.on('data', (d: Buffer) => (err += d.toString()));
    docker.modem.demuxStream(stream, o, e);
    const timer = opts.timeoutMs ? setTimeout(() => kill('SIGKILL'), opts.timeoutMs) : undefined;
    const onAbort = () => kill('SIGKILL');
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    if (opts.signal?.aborted) onAbort();
    try {
      await new Promise<void>((resolve) => {
        stream.on('end', resolve);
        stream.on('close', resolve);
        stream.on('error', () => resolve());
      });
    } finally {
      ended = true;
      gotPid(undefined);
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      stdout.end();
    }
    const info = await exec.inspect().catch(() => undefined);
    return { stdout: out, stderr: err, exitCode: info?.ExitCode ?? 128 };
  })().catch((e: Error) => {
    ended = true;
    gotPid(undefined);
    stdout.end();
    return { stdout: out, stderr: `${err}${e.message}`, exitCode: 128 };
  });

  return { stdout, done, kill };
}
