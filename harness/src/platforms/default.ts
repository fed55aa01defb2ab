import { ADDRESSING } from '../lab/addressing.js';
import { mustRun, type Shell } from '../targets/types.js';
import { parseFw4Stderr } from './fw4-output.js';
import type { Sqm } from '../scenario/schema.js';
import { sqmTcCommands, type SqmDevices } from './sqm.js';
import type { ApplyResult, OffloadConfig, Platform } from './types.js';
import { createNetdevsim, netdevsimCanLink, type NetdevsimConfig, type NetdevsimPorts } from './netdevsim.js';


export interface EngineConfig {
  /** Flow table size of the simulated engine (hil_offload's `entries`). */
  entries: number;
  hwTcOffload: boolean;
}

/** The built-in image: its fw4 stand-in reads /etc/hil/firewall (images/default/rootfs/sbin/fw4). */
export class DefaultPlatform implements Platform {
  readonly name = 'default';
  devices: { lan: string; wan: string };
  /** dut.netdevsim's ports, when they carry the traffic (made with the network, see configureNetwork). */
  netdevsimPorts?: NetdevsimPorts;

  /**
   * With an engine, the router's devices are hil_offload's ports lan0/wan0 over eth0/eth1
   * (images/default/kmod/hil_offload): addresses, firewall zones and the flowtable use them.
   * With netdevsim ports and no engine, on a kernel that links netdevsim ports (6.9+), they
   * are nsim0/nsim1, wired to eth0/eth1 (platforms/netdevsim.ts).
   */
  constructor(readonly engine?: EngineConfig, readonly netdevsim?: NetdevsimConfig) {
    this.devices = engine ? { lan: 'lan0', wan: 'wan0' } : { lan: 'eth0', wan: 'eth1' };
  }
  readonly packageManager = null;
  readonly offloadPackage = null;
  readonly bin = { fw4: '/sbin/fw4', nft: '/usr/sbin/nft', ip: '/usr/sbin/ip', tc: '/usr/sbin/tc', conntrack: '/usr/sbin/conntrack', lsmod: '/sbin/lsmod', dmesg: 'dmesg', ethtool: '/usr/sbin/ethtool' };

  async configureNetwork(shell: Shell): Promise<void> {
    const { lan, wan } = ADDRESSING;
    const ip = this.bin.ip;
    if (this.netdevsim && !this.engine && this.netdevsim.ports >= 2 && await netdevsimCanLink(shell)) {
      this.netdevsimPorts = await createNetdevsim(shell, this.netdevsim, this.bin, true);
      this.devices = { ...this.netdevsimPorts.carrying! };
    }
    const d = this.devices;
    // One ip process for all of it: under TCG every process the guest starts costs ~25 ms.
    const batch = [
      `addr add ${lan.v4.dut}/${lan.v4.prefix} dev ${d.lan}`,
      `addr add ${lan.v6.dut}/${lan.v6.prefix} dev ${d.lan} nodad`,
      `addr add ${wan.v4.dut}/${wan.v4.prefix} dev ${d.wan}`,
      `addr add ${wan.v6.dut}/${wan.v6.prefix} dev ${d.wan} nodad`,
      `link set ${d.lan} up`,
      `link set ${d.wan} up`,
      `route add default via ${wan.v4.host}`,
      `route add default via ${wan.v6.host}`,
    ];
    if (this.engine) {
      await mustRun(
        shell,
        [
          `/sbin/modprobe hil_offload entries=${this.engine.entries}`,
          `${ip} link add link eth0 name ${d.lan} type hilsoc`,
          `${ip} link add link eth1 name ${d.wan} type hilsoc`,
          `${ip} link set eth0 up`,
          `${ip} link set eth1 up`,
          ...(this.engine.hwTcOffload ? [] : [`/usr/sbin/ethtool -K ${d.lan} hw-tc-offload off`, `/usr/sbin/ethtool -K ${d.wan} hw-tc-offload off`]),
        ].join(' && '),
      );
    }
    await mustRun(
      shell,
      [
        // No duplicate address detection on the lab's links (it delays IPv6 by a second).
        `for c in all default ${d.lan} ${d.wan}; do echo 0 > /proc/sys/net/ipv6/conf/$c/accept_dad; done`,
        `printf '%s\\n' ${batch.map((l) => `'${l}'`).join(' ')} | ${ip} -batch -`,
        'echo 1 > /proc/sys/net/ipv4/ip_forward',
        'echo 1 > /proc/sys/net/ipv6/conf/all/forwarding',
        // OpenWrt turns accounting on; the flowtable's `counter` needs it for per-flow bytes.
        'if [ -e /proc/sys/net/netfilter/nf_conntrack_acct ]; then echo 1 > /proc/sys/net/netfilter/nf_conntrack_acct; fi',
      ].join(' && '),
    );
  }

  async applySqm(shell: Shell, sqm: Sqm): Promise<SqmDevices> {
    const { commands, devices } = sqmTcCommands(sqm, this.devices.wan, this.bin.tc, this.bin.ip);
    await mustRun(shell, commands.join(' && '));
    return devices;
  }

  async applyOffload(shell: Shell, cfg: OffloadConfig): Promise<ApplyResult> {
    await this.configureOffload(shell, cfg);
    return this.reloadFirewall(shell);
  }

  /** The fw4 stand-in's configuration (/etc/hil/firewall), written, not yet applied. */
  async configureOffload(shell: Shell, cfg: OffloadConfig): Promise<void> {
    const conf = [
      `flow_offloading=${cfg.mode === 'none' ? 0 : 1}`,
      `flow_offloading_hw=${cfg.mode === 'hw' ? 1 : 0}`,
      `lan_devices="${[this.devices.lan, ...(cfg.extraLanDevices ?? [])].join(' ')}"`,
      `wan_devices="${this.devices.wan}"`,
      `forward_counter=${cfg.forwardCounter ? 1 : 0}`,
      `forward_log=${cfg.forwardLog ? cfg.forwardLog.limitPerSecond : ''}`,
      `flowtable_counter=${cfg.flowtableCounter === false ? 0 : 1}`,
    ].join('\n');
    await mustRun(shell, `printf '%s\\n' '${conf.split('\n').join("' '")}' > /etc/hil/firewall`);
  }

  /** Non-quiet, stderr captured apart from stdout (the agent redirects it): the plain "[!]" form. */
  async reloadFirewall(shell: Shell): Promise<ApplyResult> {
    const result = await shell.run('/sbin/fw4 reload');
    return { result, output: parseFw4Stderr(result.stderr) };
  }
}
