import { exec, execOk } from '../util/exec.js';
import { ADDRESSING } from './addressing.js';
import { labNames, type LabNames } from './names.js';
import { orphans, register, unregister } from './registry.js';

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
  private constructor(readonly names: LabNames) {}

  static async create(runToken: string, index: number): Promise<Lab> {
    const lab = new Lab(labNames(runToken, index));
    await register(lab.names);
    try {
      const { ns, taps } = lab.names;
      for (const n of [ns.dut, ns.lan, ns.wan]) await ip('netns', 'add', n);
      for (const n of [ns.lan, ns.wan]) {
        await ipIn(n, 'link', 'set', 'lo', 'up');
        // Duplicate address detection holds the hosts' link-local addresses for a second,
        // and IPv6 traffic with them; a lab link has no one to collide with.
        await execOk('ip', ['netns', 'exec', n, 'sysctl', '-qw', 'net.ipv6.conf.default.accept_dad=0', 'net.ipv6.conf.all.accept_dad=0']);
      }
      await ipIn(ns.dut, 'tuntap', 'add', 'dev', taps.lan, 'mode', 'tap');
      await ipIn(ns.dut, 'tuntap', 'add', 'dev', taps.wan, 'mode', 'tap');
    } catch (e) {
      await lab.destroy();
      throw e;
    }
    return lab;
  }

  /** After QEMU holds the taps: give each to its host and address it (one `ip -batch` per namespace). */
  async wireHosts(): Promise<void> {
    const { ns, taps } = this.names;
    const A = ADDRESSING;
    await ipBatch(ns.dut, [`link set ${taps.lan} netns ${ns.lan}`, `link set ${taps.wan} netns ${ns.wan}`]);
    const host = (side: 'lan' | 'wan', tap: string) => [
      `addr add ${A[side].v4.host}/${A[side].v4.prefix} dev ${tap}`,
      `addr add ${A[side].v6.host}/${A[side].v6.prefix} dev ${tap} nodad`,
      `link set ${tap} up`,
    ];
    await Promise.all([
      ipBatch(ns.lan, [...host('lan', taps.lan), `route add default via ${A.lan.v4.dut}`, `route add default via ${A.lan.v6.dut}`]),
      ipBatch(ns.wan, [...host('wan', taps.wan), `route add ${A.lan.v6.net} via ${A.wan.v6.dut}`]),
    ]);
  }

  /** Idempotent, never throws: every exit path calls it. */
  async destroy(): Promise<string[]> {
    const problems = await destroyNames(this.names);
    await unregister(this.names);
    return problems;
  }
}

async function destroyNames(n: LabNames): Promise<string[]> {
  const problems: string[] = [];
  const present = (await exec('ip', ['netns', 'list'])).stdout;
  for (const ns of [n.ns.lan, n.ns.wan, n.ns.dut]) {
    if (!new RegExp(`^${ns}( |$)`, 'm').test(present)) continue;
    // Persistent taps would outlive their namespace's name; delete them explicitly.
    for (const tap of [n.taps.lan, n.taps.wan]) await exec('ip', ['-n', ns, 'link', 'del', tap]);
    const r = await exec('ip', ['netns', 'del', ns]);
    if (r.exitCode !== 0) problems.push(`${ns}: ${r.stderr.trim()}`);
  }
  return problems;
}

/** Removes labs left by harness processes that no longer exist. */
export async function reapOrphans(): Promise<string[]> {
  const reaped: string[] = [];
  for (const names of await orphans()) {
    await destroyNames(names);
    await unregister(names);
    reaped.push(names.id);
  }
  return reaped;
}
