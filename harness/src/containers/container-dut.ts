import type Docker from 'dockerode';
import type { Lab } from '../lab/lab.js';
import type { BootReport } from '../targets/boot-report.js';
import type { Transcript } from '../targets/transcript.js';
import type { ConsoleDut, RunOptions, Shell } from '../targets/types.js';
import { TranscriptConsole, type InteractiveShell } from '../targets/transcript-console.js';
import type { CommandResult } from '../util/exec.js';
import { execOk } from '../util/exec.js';
import { LABEL_PID } from './image.js';
import { exitedAtOnce, IDLE_CMD, IPV6_ON, ownerLabels } from './idle-container.js';
import { containerLogs } from './logs.js';
import { attachExec } from './exec-stream.js';

/** Commands through the Engine API's exec: stdout and stderr demultiplexed, the exit code from inspect. */
class ExecShell implements Shell {
  constructor(
    private readonly docker: Docker, private readonly container: Docker.Container, private readonly defaultTimeoutMs: number,
    private readonly transcript: Transcript,
  ) {}

  async run(command: string, opts: RunOptions = {}): Promise<CommandResult> {
    const start = performance.now();
    try {
      const r = await this.exec(command, opts.timeoutMs ?? this.defaultTimeoutMs);
      this.transcript.command(command, r, opts);
      return r;
    } catch (e) {
      this.transcript.command(command, { failure: (e as Error).message, durationMs: performance.now() - start });
      throw e;
    }
  }

  private async exec(command: string, timeoutMs: number): Promise<CommandResult> {
    const start = performance.now();
    let stdout = '';
    let stderr = '';
    const x = await attachExec(this.docker, this.container, ['/bin/sh', '-c', command], (t) => (stdout += t), (t) => (stderr += t));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        x.stream.destroy();
        reject(new Error(`command "${command.slice(0, 80)}" timed out after ${timeoutMs} ms (container exec)`));
      }, timeoutMs);
    });
    try {
      await Promise.race([x.ended, timedOut]);
    } finally {
      clearTimeout(timer);
    }
    return { command, exitCode: (await x.exitCode()) ?? 255, stdout, stderr, durationMs: performance.now() - start };
  }
}

/** A person's shell in the container: an exec with a TTY, as `docker exec -it sh` opens. */
async function ttyShell(container: Docker.Container): Promise<InteractiveShell> {
  const exec = await container.exec({
    Cmd: ['/bin/sh', '-i'], Env: ['PS1=dut# ', 'TERM=xterm'], Tty: true, AttachStdin: true, AttachStdout: true, AttachStderr: true,
  });
  return (await exec.start({ hijack: true, stdin: true, Tty: true })) as unknown as InteractiveShell;
}

export interface ContainerInfo {
  engine: string;
  image: string;
  rootfs: string;
  id: string;
  hostKernel: string;
  /** PID 1: OpenWrt's procd, or an idle shell (the harness works in the container by exec). */
  init: 'procd' | 'idle';
}

export interface ContainerDut extends ConsoleDut {
  container: ContainerInfo;
}

/**
 * A container as the DUT: from the imported root filesystem, with no network of the engine's
 * (NetworkMode none) and NET_ADMIN, so it configures its own interfaces and nftables; the lab's
 * veth ends are moved into its network namespace as eth0 (LAN) and eth1 (WAN). It shares the
 * host's kernel. stop() writes its logs to the transcript and removes it.
 */
export async function startContainerDut(
  docker: Docker, o: { image: string; rootfs: string; init: 'idle' | 'procd'; engine: string; lab: Lab; transcript: string; runId: string; commandTimeoutMs: number },
): Promise<{ dut: ContainerDut; boot: BootReport }> {
  const start = performance.now();
  const container = await docker.createContainer({
    name: `hil-${o.lab.names.id}-dut`,
    Image: o.image,
    // An OpenWrt root filesystem runs as OpenWrt's own container images do: procd as PID 1
    // (`container` tells procd it is in one: no mounts of its own, no kernel modules). It
    // starts once the lab's links are in: OpenWrt names lan and wan after the NICs its first
    // boot finds (board.json), and the engine can only move them in after the start.
    Cmd: o.init === 'procd' ? ['/bin/sh', '-c', 'while [ ! -e /sys/class/net/eth1 ]; do sleep 1; done; exec /sbin/init'] : IDLE_CMD,
    ...(o.init === 'procd' && { Env: ['container=docker'] }),
    Labels: ownerLabels(o.runId),
    // /proc/sys writable: the router sets its own network namespace's sysctls (forwarding,
    // DAD, conntrack accounting); without CAP_SYS_ADMIN it cannot touch the host's global ones.
    // (The engine's default read-only paths, less /proc/sys.)
    HostConfig: {
      NetworkMode: 'none', CapAdd: ['NET_ADMIN', 'NET_RAW'], ReadonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sysrq-trigger'], AutoRemove: false,
      Sysctls: IPV6_ON,
    },
  });
  // Waited for only once it runs: a created container already counts as "not running".
  let died!: () => void;
  const con = new TranscriptConsole(o.transcript, new Promise<void>((r) => (died = r)), () => ttyShell(container));
  const remove = async () => {
    const logs = await containerLogs(container);
    if (logs) con.raw(`${logs}\n`);
    await container.remove({ force: true }).catch(() => undefined);
    con.note('container removed');
    await con.end();
  };
  try {
    con.note(`container ${container.id.slice(0, 12)} from ${o.image} (${o.rootfs}) on ${o.engine}`);
    await container.start();
    void container.wait().then(died, died);
    const shell = new ExecShell(docker, container, o.commandTimeoutMs, con.transcript);
    let uname: CommandResult;
    try {
      const info = await container.inspect();
      if (!info.State.Running) throw new Error('not running');
      const pid = info.State.Pid;
      const { ns, peers } = o.lab.names;
      for (const [peer, name] of [[peers.lan, 'eth0'], [peers.wan, 'eth1']] as const) {
        await execOk('ip', ['-n', ns.dut, 'link', 'set', peer, 'netns', String(pid)]);
        await execOk('nsenter', [`--net=/proc/${pid}/ns/net`, 'ip', 'link', 'set', peer, 'name', name]);
      }
      uname = await shell.run('uname -r');
      if (uname.exitCode !== 0) throw new Error(`the DUT container cannot run commands: \`uname -r\` exited ${uname.exitCode}: ${uname.stderr.trim()}`);
    } catch (e) {
      // Whatever failed, a container that is gone is the reason.
      throw (await exitedAtOnce(container, 'the DUT container')) ?? e;
    }
    const bootMs = performance.now() - start;
    con.transcript.ready();
    const dut: ContainerDut = {
      shell, console: con, accel: 'container', accelReason: `container on ${o.engine} (the host's kernel)`, bootMs,
      banner: { kernel: uname.stdout.trim() },
      container: { engine: o.engine, image: o.image, rootfs: o.rootfs, id: container.id, hostKernel: uname.stdout.trim(), init: o.init },
      stop: remove,
    };
    return { dut, boot: { kind: 'container', ms: Math.round(bootMs), guest: dut.banner, snapshot: { key: null, action: 'disabled', note: 'container' }, warnings: [] } };
  } catch (e) {
    await remove();
    throw e;
  }
}

/** Containers of harness processes that are gone (killed outright): removed. */
export async function reapContainers(docker: Docker, alive: (pid: number) => boolean): Promise<string[]> {
  const list = await docker.listContainers({ all: true, filters: { label: [LABEL_PID] } });
  const reaped: string[] = [];
  for (const c of list) {
    if (alive(Number(c.Labels[LABEL_PID]))) continue;
    await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
    reaped.push(c.Names[0] ?? c.Id);
  }
  return reaped;
}
