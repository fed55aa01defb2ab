import { exec, execOk } from '../util/exec.js';
import { ADDRESSING } from './addressing.js';
import { labNames, type LabNames } from './names.js';
import { orphans, register, unregister } from './registry.js';
import { lendCable, restoreCable, type LentCable } from '../boards/cables.js';
import { namespaceHosts, type LabHosts } from './hosts.js';
import type { HostContainers } from '../containers/host-containers.js';

export interface LabOptions {
  /** A board's lab: this machine's interfaces cabled to the board (see create). */
  cables?: { lan: Omit<LentCable, 'as'>; wan: Omit<LentCable, 'as'> };
  /** A container DUT's lab: veth pairs instead of taps. */
  veth?: boolean;
  /** The LAN and WAN hosts are these containers: the lab's host namespaces are theirs. */
  hostContainers?: HostContainers;
}

const ip = (...args: string[]) => execOk('ip', args);
const ipIn = (ns: string, ...args: string[]) => execOk('ip', ['-n', ns, ...args]);
/** ip infers each line's family from its addresses; one process instead of one per command. */
const ipBatch = (ns: string, lines: string[]) => execOk('ip', ['-n', ns, '-batch', '-'], { input: lines.join('\n') + '\n' });

/**
 * A lab: namespaces for the DUT's QEMU process, the LAN host and the WAN host, and
 * one tap per DUT NIC. Taps are created beside QEMU (it opens them by name), then
 * moved into the hosts' namespaces, so each host's only link is the DUT's NIC.
 * Nothing outside these namespaces is touched.
 */
export class Lab {
  private wired = false;
  /** Where the hosts' traffic tools run. */
  readonly hosts: LabHosts;

  private constructor(readonly names: LabNames, private readonly cables?: LentCable[], readonly hostContainers?: HostContainers) {
    this.hosts = hostContainers ?? namespaceHosts(names);
  }

  /**
   * cables: a board's lab. Instead of taps, this machine's interfaces cabled to the board
   * (or macvlans on them) are lent to the lab under the taps' names, and given back as
   * they were when the lab goes.
   */
  static async create(runToken: string, index: number, o: LabOptions = {}): Promise<Lab> {
    const { cables, veth, hostContainers } = o;
    const names = labNames(runToken, index);
    const lent = cables && [{ ...cables.lan, as: names.taps.lan }, { ...cables.wan, as: names.taps.wan }];
    const lab = new Lab(names, lent, hostContainers);
    await register(lab.names, lent);
    try {
      const { ns, taps } = lab.names;
      await ip('netns', 'add', ns.dut);
      for (const side of ['lan', 'wan'] as const) {
        // A host container's namespace gets the lab's name, so everything below works on it unchanged.
        if (hostContainers) await ip('netns', 'attach', ns[side], String(hostContainers.pids[side]));
        else await ip('netns', 'add', ns[side]);
      }
      for (const n of [ns.lan, ns.wan]) {
        await ipIn(n, 'link', 'set', 'lo', 'up');
        // Duplicate address detection holds the hosts' link-local addresses for a second,
        // and IPv6 traffic with them; a lab link has no one to collide with.
        await execOk('ip', ['netns', 'exec', n, 'sysctl', '-qw', 'net.ipv6.conf.default.accept_dad=0', 'net.ipv6.conf.all.accept_dad=0']);
      }
      if (lent) {
        for (const l of lent) await lendCable(l, ns.dut);
      } else if (veth) {
        // A container DUT: its ends (peers) go into its network namespace once it runs.
        await ipIn(ns.dut, 'link', 'add', taps.lan, 'type', 'veth', 'peer', 'name', lab.names.peers.lan);
        await ipIn(ns.dut, 'link', 'add', taps.wan, 'type', 'veth', 'peer', 'name', lab.names.peers.wan);
        // Up from the start, as a VM's taps are: the DUT's ends have carrier as it boots
        // (OpenWrt's netifd builds br-lan only over a port that has it).
        await ipIn(ns.dut, 'link', 'set', taps.lan, 'up');
        await ipIn(ns.dut, 'link', 'set', taps.wan, 'up');
      } else {
        await ipIn(ns.dut, 'tuntap', 'add', 'dev', taps.lan, 'mode', 'tap');
        await ipIn(ns.dut, 'tuntap', 'add', 'dev', taps.wan, 'mode', 'tap');
      }
    } catch (e) {
      await lab.destroy();
      throw e;
    }
    return lab;
  }

  /**
   * After QEMU holds the taps: give each to its host and address it (one `ip -batch` per namespace).
   * With a bottleneck the WAN tap stays beside QEMU, bridged to a veth into the WAN host, and
   * each direction leaves through a tbf: the modem's slow uplink and its deep buffer.
   */
  async wireHosts(bottleneck?: Bottleneck): Promise<void> {
    // A board's lab is wired before its shell (SSH goes over the LAN cable); once is enough.
    if (this.wired) return;
    this.wired = true;
    const { ns, taps, modem } = this.names;
    const A = ADDRESSING;
    const wanLink = bottleneck ? modem.peer : taps.wan;
    if (bottleneck) {
      await ipBatch(ns.dut, [
        `link set ${taps.lan} netns ${ns.lan}`,
        `link add ${modem.veth} type veth peer name ${modem.peer}`,
        `link set ${modem.peer} netns ${ns.wan}`,
        `link add ${modem.bridge} type bridge`,
        `link set ${taps.wan} master ${modem.bridge}`,
        `link set ${modem.veth} master ${modem.bridge}`,
        `link set ${taps.wan} up`,
        `link set ${modem.veth} up`,
        `link set ${modem.bridge} up`,
      ]);
      const tbf = tbfArgs(bottleneck);
      // Towards the DUT (download) on the tap, towards the WAN host (upload) on the veth.
      await execOk('tc', ['-n', ns.dut, 'qdisc', 'replace', 'dev', taps.wan, 'root', ...tbf]);
      await execOk('tc', ['-n', ns.dut, 'qdisc', 'replace', 'dev', modem.veth, 'root', ...tbf]);
    } else {
      await ipBatch(ns.dut, [`link set ${taps.lan} netns ${ns.lan}`, `link set ${taps.wan} netns ${ns.wan}`]);
    }
    const host = (side: 'lan' | 'wan', tap: string) => [
      `addr add ${A[side].v4.host}/${A[side].v4.prefix} dev ${tap}`,
      `addr add ${A[side].v6.host}/${A[side].v6.prefix} dev ${tap} nodad`,
      `link set ${tap} up`,
    ];
    await Promise.all([
      ipBatch(ns.lan, [...host('lan', taps.lan), `route add default via ${A.lan.v4.dut}`, `route add default via ${A.lan.v6.dut}`]),
      ipBatch(ns.wan, [...host('wan', wanLink), `route add ${A.lan.v6.net} via ${A.wan.v6.dut}`]),
    ]);
  }

  /** Idempotent, never throws: every exit path calls it. */
  async destroy(): Promise<string[]> {
    const problems = await destroyNames(this.names, this.cables);
    await this.hostContainers?.remove();
    await unregister(this.names);
    return problems;
  }
}

async function destroyNames(n: LabNames, cables?: LentCable[]): Promise<string[]> {
  const problems: string[] = [];
  // First: a cable left in a namespace that goes would be lost (veth) or come back misnamed.
  for (const c of cables ?? []) problems.push(...(await restoreCable(c, [n.ns.lan, n.ns.wan, n.ns.dut])));
  const present = (await exec('ip', ['netns', 'list'])).stdout;
  // The namespaces go side by side: each is two `ip` runs, and a run tears down many labs.
  await Promise.all([n.ns.lan, n.ns.wan, n.ns.dut].map(async (ns) => {
    if (!new RegExp(`^${ns}( |$)`, 'm').test(present)) return;
    // Persistent taps would outlive their namespace's name; delete them explicitly (-force:
    // on past the one of the two that is in another namespace).
    await exec('ip', ['-n', ns, '-force', '-batch', '-'], { input: [n.taps.lan, n.taps.wan].map((t) => `link del ${t}\n`).join('') });
    const r = await exec('ip', ['netns', 'del', ns]);
    if (r.exitCode !== 0) problems.push(`${ns}: ${r.stderr.trim()}`);
  }));
  return problems;
}

export interface Bottleneck {
  bitsPerSecond: number;
  bufferMs: number;
}

/** A tbf whose queue holds bufferMs of the rate: a modem's buffer, deep enough to bloat. */
export function tbfArgs(b: Bottleneck): string[] {
  const bytesPerSec = b.bitsPerSecond / 8;
  // The bucket must hold at least a full-size frame and a few ms of the rate, or tbf starves.
  const burst = Math.max(3028, Math.round(bytesPerSec * 0.004));
  const limit = Math.max(burst, Math.round((bytesPerSec * b.bufferMs) / 1000));
  return ['tbf', 'rate', `${b.bitsPerSecond}bit`, 'burst', String(burst), 'limit', String(limit)];
}

/** Removes labs left by harness processes that no longer exist. */
export async function reapOrphans(): Promise<string[]> {
  const reaped: string[] = [];
  for (const { names, cables } of await orphans()) {
    await destroyNames(names, cables);
    await unregister(names);
    reaped.push(names.id);
  }
  return reaped;
}
