import type { OffloadMode, Sqm } from '../scenario/schema.js';
import type { Shell } from '../targets/types.js';
import type { CommandResult } from '../util/exec.js';
import type { Fw4Output } from './fw4-output.js';
import type { PackageManager } from './offload-modules.js';
import type { SqmDevices } from './sqm.js';

export interface OffloadConfig {
  mode: OffloadMode;
  forwardCounter: boolean;
  /** A rate-limited `log` rule at the top of the forward chain; 0 is no limit. */
  forwardLog?: { limitPerSecond: number };
  /** The flowtable's `counter` flag (firewall4 always sets it). */
  flowtableCounter?: boolean;
  /** More devices for the LAN zone, hence for the flowtable (netdevsim ports). */
  extraLanDevices?: string[];
}

export interface ApplyResult {
  result: CommandResult;
  output: Fw4Output;
}

/** What differs between DUT systems (default image, OpenWrt, plain Linux). */
export interface Platform {
  readonly name: string;
  /** Addresses, forwarding, conntrack accounting: the lab's plan applied on the DUT. */
  configureNetwork(shell: Shell): Promise<void>;
  /** Writes the offload configuration and applies it non-quietly, stderr captured: the two below. */
  applyOffload(shell: Shell, cfg: OffloadConfig): Promise<ApplyResult>;
  /** Writes (commits) the offload configuration without applying it. */
  configureOffload(shell: Shell, cfg: OffloadConfig): Promise<void>;
  /** Applies the committed configuration as a user would (`fw4 reload`), stderr captured apart. */
  reloadFirewall(shell: Shell): Promise<ApplyResult>;
  /** Shaping on the WAN device as sqm-scripts sets it up; throws with the package to install where it cannot. */
  applySqm(shell: Shell, sqm: Sqm): Promise<SqmDevices>;
  /** The DUT's LAN and WAN device names (the flowtable's devices). */
  readonly devices: { lan: string; wan: string };
  /** Full paths: busybox's shell would run its own applets instead of the real tools. */
  /** The system log (OpenWrt's logread), kept beside the report; absent where there is none. */
  systemLog?(shell: Shell): Promise<string>;
  /** null where the DUT has none (the default image). */
  readonly packageManager: PackageManager | null;
  /** kmod-nft-offload's installed version; null where it is not installed or there is no package manager. */
  readonly offloadPackage: string | null;
  readonly bin: { fw4: string; nft: string; ip: string; tc: string; conntrack: string; lsmod: string; dmesg: string; ethtool: string };
}
