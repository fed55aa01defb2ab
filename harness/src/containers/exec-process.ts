import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { attachExec } from './exec-stream.js';
import type { HostProcess, HostSignal, SpawnOptions } from '../lab/hosts.js';

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

  // A signal is an exec of `kill` in the container, awaited to its end, so signals sent one
  // after another (SIGSTOP, SIGINT, SIGCONT) arrive in that order.
  const kill = (sig: HostSignal): Promise<void> =>
    pid.then(async (p) => {
      if (!p || ended) return;
      const k = await container.exec({ Cmd: ['kill', `-${sig.slice(3)}`, String(p)], AttachStdout: false, AttachStderr: false }).catch(() => undefined);
      if (!k || (await k.start({ Detach: true }).then(() => false, () => true))) return;
      for (let i = 0; i < 100; i++) {
        if (!(await k.inspect().then((x) => x.Running, () => false))) return;
        await new Promise((r) => setTimeout(r, 10));
      }
    });

  const done = (async () => {
    // The first line is the shell's pid; everything after it is the command's own output.
    let head: string | null = '';
    const onOut = (chunk: string) => {
      let text = chunk;
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
    };
    const x = await attachExec(docker, container, ['/bin/sh', '-c', RUN, 'sh', ...argv], onOut, (t) => (err += t));
    const timer = opts.timeoutMs ? setTimeout(() => void kill('SIGKILL'), opts.timeoutMs) : undefined;
    const onAbort = () => void kill('SIGKILL');
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    if (opts.signal?.aborted) onAbort();
    try {
      await x.ended.catch(() => undefined);
    } finally {
      ended = true;
      gotPid(undefined);
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      stdout.end();
    }
    return { stdout: out, stderr: err, exitCode: (await x.exitCode()) ?? 128 };
  })().catch((e: Error) => {
    ended = true;
    gotPid(undefined);
    stdout.end();
    return { stdout: out, stderr: `${err}${e.message}`, exitCode: 128 };
  });

  return { stdout, done, kill };
}
