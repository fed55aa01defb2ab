import { ADDRESSING } from '../lab/addressing.js';
import { mustRun, pollUntil, subshell, type Shell } from '../targets/types.js';
import { parseFw4Stderr } from './fw4-output.js';
import { installCommand, OFFLOAD_PACKAGE, type PackageManager } from './offload-modules.js';
import { parseOpenWrtRelease, type OpenWrtRelease } from './openwrt-release.js';
import { installedVersion, installFilesCommand, listInstalledCommand } from './packages.js';
import type { Sqm } from '../scenario/schema.js';
import { SQM_PACKAGE, sqmUciCommands, type SqmDevices } from './sqm.js';
import type { ApplyResult, OffloadConfig, Platform } from './types.js';


const FORWARD_PRE_FILE = '/etc/hil-forward-pre.nft';

/**
 * An OpenWrt image: configured with uci, applied with `fw4 reload` (never quiet, so
 * firewall4's fallback warning reaches its stderr, which the agent keeps apart from stdout).
 * OpenWrt's x86 defaults: eth0 is br-lan's port, eth1 is wan.
 */
export class OpenWrtPlatform implements Platform {
  readonly name = 'openwrt';
  readonly devices: { lan: string; wan: string };
  readonly bin = { fw4: 'fw4', nft: '/usr/sbin/nft', ip: '/sbin/ip', tc: 'tc', conntrack: 'conntrack', lsmod: 'lsmod', dmesg: 'dmesg', ethtool: 'ethtool' };

  private constructor(
    readonly release: OpenWrtRelease, readonly packageManager: PackageManager | null, readonly offloadPackage: string | null,
    /** The installed firewall4's version, as the package manager records it. */
    readonly firewall4: string | null,
    /**
     * A container: netifd cannot build br-lan there (an unprivileged container's /sys is
     * read-only; netifd says "Error adding bridge"), so lan is its eth0 itself.
     */
    readonly inContainer = false,
  ) {
    this.devices = { lan: inContainer ? 'eth0' : 'br-lan', wan: 'eth1' };
  }

  /** null when the DUT is not OpenWrt (no /etc/openwrt_release). */
  static async detect(shell: Shell, o: { container?: boolean } = {}): Promise<OpenWrtPlatform | null> {
    const rel = await shell.run('cat /etc/openwrt_release');
    const release = rel.exitCode === 0 ? parseOpenWrtRelease(rel.stdout) : null;
    if (!release) return null;
    // OpenWrt 25.x uses apk; earlier releases opkg.
    const pmOut = await shell.run('if command -v apk >/dev/null; then echo apk; elif command -v opkg >/dev/null; then echo opkg; fi');
    const pm = (pmOut.stdout.trim() || null) as PackageManager | null;
    if (!pm) return new OpenWrtPlatform(release, null, null, null, o.container);
    const listed = (await shell.run(`${listInstalledCommand(pm, OFFLOAD_PACKAGE)}; ${listInstalledCommand(pm, 'firewall4')}`)).stdout;
    return new OpenWrtPlatform(release, pm, installedVersion(pm, OFFLOAD_PACKAGE, listed), installedVersion(pm, 'firewall4', listed), o.container);
  }

  /**
   * Up means procd finished its init (it logs "- init complete -"), netifd answers on ubus
   * with lan up, and fw4 has run (its state file: fw4 writes it even when nft rejected the
   * ruleset, so an image whose firewall cannot load still comes up, as on hardware). A
   * prompt alone is not up. The guest waits in one command, a second between checks, so
   * polling does not take the CPU that the boot itself needs.
   */
  async waitSystemReady(shell: Shell, timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    const why: Record<string, string> = { procd: 'procd has not logged "init complete"', lan: 'netifd: lan is not up', fw4: 'fw4 has not run (no /var/run/fw4.state)' };
    // Checked in order, each only once the one before holds: the later ones are cheap then.
    const checks: [string, string][] = [
      ['procd', "logread 2>/dev/null | grep -q 'init complete'"],
      // In a container lan has no device until configureNetwork gives it eth0.
      ...(this.inContainer ? [] : [['lan', "ubus call network.interface.lan status 2>/dev/null | grep -q '\"up\": true'"] as [string, string]]),
      ['fw4', '[ -e /var/run/fw4.state ]'],
    ];
    const once = checks.map(([name, cmd]) => `[ -n "$m" ] || { ${cmd} || m=${name}; }`).join('; ');
    let last = '';
    while (performance.now() < deadline) {
      // The guest ends each wait after about 10 s of its own clock, however slowly a loaded
      // host runs it (one check can take seconds then); the host's timeout is only a backstop.
      const secs = Math.max(1, Math.min(10, Math.floor((deadline - performance.now()) / 1000)));
      const r = await shell.run(
        `read u _ < /proc/uptime; end=$((\${u%.*} + ${secs})); while :; do m=; ${once}; [ -z "$m" ] && break; read u _ < /proc/uptime; [ \${u%.*} -ge $end ] && break; sleep 1; done; echo "missing=$m"`,
        { timeoutMs: secs * 1000 + 120_000 },
      );
      const missing = /missing=(\S*)/.exec(r.stdout)?.[1] ?? 'procd';
      if (!missing) return;
      last = why[missing] ?? missing;
    }
    throw new Error(`OpenWrt did not come up within ${timeoutMs} ms: ${last}`);
  }

  /**
   * The lab's addresses through uci and netifd, as a user would set them. Idempotent: a DUT
   * restored from a snapshot saved after this (bootOpenWrt does it before saving) has them
   * already, and a second network reload would only set off the hotplug firewall reloads
   * again.
   */
  async configureNetwork(shell: Shell): Promise<void> {
    const { lan, wan } = ADDRESSING;
    const done = await shell.run(`[ "$(uci -q get network.wan.ipaddr)" = '${wan.v4.dut}' ] && [ "$(uci -q get network.wan6.ip6gw)" = '${wan.v6.host}' ] && ip -4 addr show dev ${this.devices.wan} | grep -q '${wan.v4.dut}/'`);
    if (done.exitCode === 0) return;
    const uci = [
      ...(this.inContainer ? [`uci set network.lan.device='${this.devices.lan}'`] : []),
      `uci set network.lan.ipaddr='${lan.v4.dut}'`,
      `uci set network.lan.netmask='255.255.255.0'`,
      `uci -q del network.lan.ip6addr; uci add_list network.lan.ip6addr='${lan.v6.dut}/${lan.v6.prefix}'`,
      `uci set network.wan.proto='static'`,
      `uci set network.wan.ipaddr='${wan.v4.dut}'`,
      `uci set network.wan.netmask='255.255.255.0'`,
      `uci set network.wan.gateway='${wan.v4.host}'`,
      `uci set network.wan6.proto='static'`,
      `uci -q del network.wan6.ip6addr; uci add_list network.wan6.ip6addr='${wan.v6.dut}/${wan.v6.prefix}'`,
      `uci set network.wan6.ip6gw='${wan.v6.host}'`,
      'uci commit network',
      '/etc/init.d/network reload',
    ];
    await mustRun(shell, uci.join(' && '));
    // netifd applies asynchronously: wait until wan carries the lab's address (from here:
    // OpenWrt's busybox sleeps whole seconds only).
    await pollUntil(shell, `ip -4 addr show dev ${this.devices.wan} | grep -q '${wan.v4.dut}/'`, 20_000, `netifd did not give ${this.devices.wan} the lab's address ${wan.v4.dut}`);
    await mustRun(shell, 'sysctl -qw net.netfilter.nf_conntrack_acct=1 || true');
    await this.settle(shell);
  }

  /**
   * Every ifup makes OpenWrt's hotplug reload the firewall (/etc/hotplug.d/iface/20-firewall:
   * `fw4 -q reload`), asynchronously. One landing after the scenario's own reload would
   * renew the ruleset under the traffic: counters back to 0, the flowtable made anew. So
   * the harness goes on only once no hotplug handler or fw4 has run for a second.
   */
  async settle(shell: Shell, timeoutMs = 30_000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    let quiet = 0;
    let n = 0;
    while (quiet < 4) {
      const k = ++n;
      const busy = await shell.run("pgrep -f 'hotplug-call|/sbin/fw4' >/dev/null", { fold: (r) => `hotplug check ${k}: ${r.exitCode === 0 ? 'a handler or fw4 runs' : 'quiet'}` });
      quiet = busy.exitCode === 0 ? 0 : quiet + 1;
      if (performance.now() > deadline) throw new Error(`OpenWrt's hotplug handlers (firewall reloads after ifup) were still running after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 300));
    }
  }

  /** Through sqm-scripts' uci config and init script, as a user would; an image without it is an error naming the package. */
  async applySqm(shell: Shell, sqm: Sqm): Promise<SqmDevices> {
    const have = await shell.run('[ -x /etc/init.d/sqm ] && [ -d /usr/lib/sqm ]');
    if (have.exitCode !== 0) {
      const install = installCommand(this.packageManager, SQM_PACKAGE);
      throw new Error(`sqm: this OpenWrt image has no ${SQM_PACKAGE} (/etc/init.d/sqm): install it (${install}) or list its package in dut.packages`);
    }
    const { commands, devices } = sqmUciCommands(sqm, this.devices.wan);
    await mustRun(shell, commands.join(' && '), 60_000);
    // sqm-scripts exits 0 even when a qdisc failed: the kernel's qdiscs are the proof.
    for (const dev of [devices.egress, devices.ingress]) {
      if (dev) await mustRun(shell, `${this.bin.tc} qdisc show dev ${dev} root | grep -qE 'cake|htb'`);
    }
    return devices;
  }

  async applyOffload(shell: Shell, cfg: OffloadConfig): Promise<ApplyResult> {
    await this.configureOffload(shell, cfg);
    return this.reloadFirewall(shell);
  }

  /** Offloading and the harness's forward-chain rules in firewall4's uci config, committed, not yet applied. */
  async configureOffload(shell: Shell, cfg: OffloadConfig): Promise<void> {
    if (cfg.flowtableCounter === false) {
      throw new Error('firewall.flowtableCounter: false: firewall4 always gives its flowtable `counter`; this runs on the default image only');
    }
    const cmds = [
      `uci set firewall.@defaults[0].flow_offloading='${cfg.mode === 'none' ? 0 : 1}'`,
      `uci set firewall.@defaults[0].flow_offloading_hw='${cfg.mode === 'hw' ? 1 : 0}'`,
      'uci -q delete firewall.hil_counter',
    ];
    const rules = [
      cfg.forwardLog && `meta l4proto { tcp, udp } ${cfg.forwardLog.limitPerSecond ? `limit rate ${cfg.forwardLog.limitPerSecond}/second ` : ''}log prefix "hil-fwd: " level info`,
      cfg.forwardCounter && 'meta l4proto { tcp, udp } counter comment "hil: forward-chain counter"',
    ].filter(Boolean);
    if (rules.length) {
      // firewall4's nftables include, placed first in the forward chain (before the flow offload rule).
      cmds.push(
        `printf '%s\\n' ${rules.map((r) => `'${r}'`).join(' ')} > ${FORWARD_PRE_FILE}`,
        'uci set firewall.hil_counter=include',
        "uci set firewall.hil_counter.type='nftables'",
        `uci set firewall.hil_counter.path='${FORWARD_PRE_FILE}'`,
        "uci set firewall.hil_counter.position='chain-pre'",
        "uci set firewall.hil_counter.chain='forward'",
      );
    }
    cmds.push('uci commit firewall');
    await mustRun(shell, cmds.join('; '));
  }

  /** `fw4 reload`, never `-q` (quiet mode is what hides the warning at boot and hotplug), stderr kept apart. */
  async reloadFirewall(shell: Shell): Promise<ApplyResult> {
    const result = await shell.run('fw4 reload');
    return { result, output: parseFw4Stderr(result.stderr) };
  }

  /**
   * Makes modules absent, not merely unloaded, as on an image built without their package:
   * unloaded, and their files deleted (on a disk image the overlay filesystem records it; a
   * root filesystem tarball booted on the harness's kernel lost them before procd started).
   * Only a module in use (fw4's flowtable pins nf_flow_table) makes fw4's table go first,
   * and then fw4 starts again as at boot, without them: the state such an image boots into.
   */
  async withholdModules(shell: Shell, modules: readonly string[]): Promise<void> {
    const list = modules.map((m) => m.replace(/-/g, '_')).join(' ');
    await mustRun(shell, subshell([
      'flushed=',
      `for m in ${list}; do [ "$(cat /sys/module/$m/refcnt 2>/dev/null || echo 0)" = 0 ] || { [ -n "$flushed" ] || fw4 -q flush; flushed=1; }; done`,
      `for m in ${list}; do [ -d /sys/module/$m ] && rmmod $m; done`,
      `for m in ${list}; do find /lib/modules/$(uname -r) -name "$m.ko" -exec rm -f {} +; done`,
      `for m in ${list}; do ! [ -d /sys/module/$m ] || { echo "$m is still loaded" >&2; exit 1; }; done`,
      '[ -z "$flushed" ] || fw4 -q start',
      'true',
    ].join('; ')));
  }

  /** Installs local package files already on the DUT; the installer's output goes into the report. */
  async installPackages(shell: Shell, files: string[]) {
    if (!this.packageManager) throw new Error('dut.packages: this OpenWrt image has neither opkg nor apk');
    return shell.run(installFilesCommand(this.packageManager, files), { timeoutMs: 120_000 });
  }

  /** The system log: kernel and daemon lines, and `log` rules' output (not where fw4's warning goes). */
  async systemLog(shell: Shell): Promise<string> {
    return (await shell.run('logread 2>/dev/null')).stdout;
  }
}
