import { appendFile, writeFile } from 'node:fs/promises';
import type Docker from 'dockerode';
import type { HostSide, LabHosts } from '../lab/hosts.js';
import type { LabNames } from '../lab/names.js';
import { spawnInContainer } from './exec-process.js';
import { exitedAtOnce, IDLE_CMD, IPV6_ON, ownerLabels } from './idle-container.js';
import { containerLogs } from './logs.js';

/** What the report says about container hosts. */
export interface HostsInfo {
  engine: string;
  image: string;
  rootfs: string;
  lan: string;
  wan: string;
  /** The tools' own version lines, as the image has them. */
  tools: { iperf3: string; ping: string };
}

export interface HostContainers extends LabHosts {
  kind: 'containers';
  /** Their network namespaces, which the lab names (ip netns attach). */
  pids: Record<HostSide, number>;
  info: HostsInfo;
  /** Writes their logs to the hosts log and removes them; idempotent, never throws. */
  remove(): Promise<void>;
}

const SIDES: HostSide[] = ['lan', 'wan'];

/** The traffic tools' version lines, asked once per image (the tag is the tarball's sha256): the same for every lab. */
const toolsOf = new Map<string, Promise<HostsInfo['tools']>>();

async function readTools(docker: Docker, c: Docker.Container, rootfs: string): Promise<HostsInfo['tools']> {
  const run = (argv: string[]) => spawnInContainer(docker, c, argv, { timeoutMs: 10_000 }).done;
  const iperf3 = await run(['iperf3', '--version']);
  const ping = await run(['ping', '-V']);
  const lacks = [
    ...(iperf3.exitCode !== 0 ? [`iperf3 (${(iperf3.stderr || iperf3.stdout).trim().split('\n').pop() || `exit ${iperf3.exitCode}`})`] : []),
    ...(!/iputils/.test(ping.stdout + ping.stderr) ? [`iputils ping (${(ping.stderr || ping.stdout).trim().split('\n').pop() || `exit ${ping.exitCode}`})`] : []),
  ];
  if (lacks.length) throw new Error(`the lab hosts' image ${rootfs} lacks ${lacks.join(' and ')}: it needs /bin/sh, iperf3 and iputils ping`);
  return { iperf3: iperf3.stdout.trim().split('\n')[0]!, ping: (ping.stdout || ping.stderr).trim().split('\n')[0]! };
}

/**
 * The lab's LAN and WAN hosts as containers from an image with the traffic tools: no network of
 * the engine's (the lab moves its links into their namespaces), IPv6 on (the engine turns it off
 * without a network). They must have a shell, iperf3 and iputils ping (the latency probe uses
 * its -D and -O); a missing one is one line naming it.
 */
export async function startHostContainers(
  docker: Docker, o: { image: string; rootfs: string; engine: string; names: LabNames; runId: string; log: string },
): Promise<HostContainers> {
  const made: Partial<Record<HostSide, Docker.Container>> = {};
  let removed = false;
  const remove = async () => {
    if (removed) return;
    removed = true;
    for (const side of SIDES) {
      const c = made[side];
      if (!c) continue;
      await appendFile(o.log, `--- ${side} host container ${c.id.slice(0, 12)}\n${await containerLogs(c)}`).catch(() => undefined);
      await c.remove({ force: true }).catch(() => undefined);
    }
  };
  try {
    await writeFile(o.log, `lab hosts: containers from ${o.image} (${o.rootfs}) on ${o.engine}\n`);
    const pids = {} as Record<HostSide, number>;
    for (const side of SIDES) {
      const c = await docker.createContainer({
        name: `hil-${o.names.id}-${side}`,
        Image: o.image,
        Cmd: IDLE_CMD,
        Labels: ownerLabels(o.runId),
        // NET_ADMIN: iperf3 -C picks a congestion control the kernel may not list as allowed
        // (here: cubic, with only "reno bbr" allowed), which an unprivileged socket cannot.
        HostConfig: {
          NetworkMode: 'none', AutoRemove: false, CapAdd: ['NET_ADMIN'],
          Sysctls: IPV6_ON,
        },
      });
      made[side] = c;
      // runc's reason is the last clause of a long chain ("exec: \"/bin/sh\": stat ...: no such file or directory").
      await c.start().catch((e: Error) => {
        throw new Error(`the ${side.toUpperCase()} host container did not start: ${e.message.replace(/^[\s\S]*unable to start container process: /, '').replace(/: unknown$/, '')}`);
      });
      const info = await c.inspect();
      if (!info.State.Running) throw (await exitedAtOnce(c, `the ${side.toUpperCase()} host container`)) ?? new Error(`the ${side.toUpperCase()} host container is not running`);
      pids[side] = info.State.Pid;
    }
    const lan = made.lan!;
    // A failed check is not kept: the next lab asks again.
    if (!toolsOf.has(o.image)) toolsOf.set(o.image, readTools(docker, lan, o.rootfs).catch((e: Error) => (toolsOf.delete(o.image), Promise.reject(e))));
    const tools = await toolsOf.get(o.image)!;
    const containers = made as Record<HostSide, Docker.Container>;
    return {
      kind: 'containers',
      pids,
      info: { engine: o.engine, image: o.image, rootfs: o.rootfs, lan: lan.id, wan: made.wan!.id, tools },
      spawn: (side, argv, opts) => spawnInContainer(docker, containers[side], argv, opts),
      remove,
    };
  } catch (e) {
    await remove();
    throw e;
  }
}
