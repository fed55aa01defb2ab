import { execa, type ResultPromise } from 'execa';
import { access, mkdir, rm } from 'node:fs/promises';
// Loaded on first use: dockerode alone adds ~29 MB to a run that never meets a container.
import type Docker from 'dockerode';
import { UserError } from '../util/errors.js';

/** The harness's own engine, when none runs: private socket and data, no bridge, no iptables. */
const OWN = {
  socket: '/run/offload-hil/docker.sock',
  dataRoot: '/var/lib/offload-hil/docker',
  execRoot: '/run/offload-hil/docker-exec',
  pidfile: '/run/offload-hil/docker.pid',
};

export interface Engine {
  docker: Docker;
  /** Where it listens, for the report and errors. */
  where: string;
  /** Whether this run started it (and stops it in stop()). */
  started: boolean;
  stop(): Promise<void>;
}

async function answers(docker: Docker): Promise<string | undefined> {
  try {
    await docker.ping();
    return undefined;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
  }
}

/** dockerd's path on PATH, if it is installed: a run starts it when no engine answers. */
export async function findDockerd(): Promise<string | undefined> {
  const r = await execa('sh', ['-c', 'command -v dockerd'], { reject: false });
  return r.exitCode === 0 ? r.stdout.trim() : undefined;
}

/**
 * The Docker Engine the run talks to: DOCKER_HOST when set (it must answer), else the
 * system's /var/run/docker.sock when it answers, else a dockerd of the harness's own,
 * started here and stopped by stop(). That one gets no bridge and no iptables rules: lab
 * links are moved into containers by the harness, and the host's networking is not touched.
 */
export async function connectEngine(progress: (t: string) => void): Promise<Engine> {
  const { default: Docker } = await import('dockerode');
  if (process.env.DOCKER_HOST) {
    const docker = new Docker();
    const why = await answers(docker);
    if (why) throw new UserError(`the Docker engine at DOCKER_HOST=${process.env.DOCKER_HOST} does not answer (${why})`, 1);
    return { docker, where: process.env.DOCKER_HOST, started: false, stop: async () => {} };
  }
  const system = new Docker({ socketPath: '/var/run/docker.sock' });
  if (!(await answers(system))) return { docker: system, where: '/var/run/docker.sock', started: false, stop: async () => {} };
  const own = new Docker({ socketPath: OWN.socket });
  // Left by a harness that was killed: use it, and stop it at the end like one of ours.
  if (!(await answers(own))) return { docker: own, where: OWN.socket, started: true, stop: () => stopOwn() };
  const dockerd = await findDockerd();
  if (!dockerd) {
    throw new UserError('no Docker engine: /var/run/docker.sock does not answer and dockerd is not installed (apt-get install docker.io)', 1);
  }
  progress('no Docker engine is running: starting one for this run');
  await mkdir(OWN.execRoot, { recursive: true });
  await mkdir(OWN.dataRoot, { recursive: true });
  const proc: ResultPromise = execa(dockerd, [
    '--host', `unix://${OWN.socket}`, '--data-root', OWN.dataRoot, '--exec-root', OWN.execRoot, '--pidfile', OWN.pidfile,
    '--iptables=false', '--ip6tables=false', '--bridge=none',
  ], { reject: false, detached: true, stdio: ['ignore', 'ignore', 'pipe'], all: false, buffer: { stderr: true } });
  let tail = '';
  proc.stderr?.on('data', (d: Buffer) => (tail = (tail + d.toString()).slice(-2000)));
  const deadline = performance.now() + 30_000;
  while (await answers(own)) {
    if (proc.exitCode !== null || performance.now() > deadline) {
      proc.kill('SIGKILL');
      const last = tail.trim().split('\n').filter((l) => /level=(error|fatal)|failed/i.test(l)).pop() ?? tail.trim().split('\n').pop() ?? '';
      throw new UserError(`dockerd did not start: ${last.replace(/^time="[^"]*" /, '')}`, 1);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { docker: own, where: OWN.socket, started: true, stop: () => stopOwn(proc) };
}

/** SIGTERM to the dockerd this run started (found by its pid file when it was a killed run's). */
async function stopOwn(proc?: ResultPromise): Promise<void> {
  const pid = proc?.pid ?? Number((await execa('cat', [OWN.pidfile], { reject: false })).stdout.trim());
  if (!pid) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  for (let i = 0; i < 150; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await rm(OWN.socket, { force: true });
  await rm(OWN.execRoot, { recursive: true, force: true });
  await access(OWN.pidfile).then(() => rm(OWN.pidfile, { force: true }), () => undefined);
}
