import type { OffloadMode } from '../scenario/schema.js';
import type { Shell } from '../targets/types.js';
import type { CommandResult } from '../util/exec.js';
import type { Fw4Output } from './fw4-output.js';
import type { PackageManager } from './offload-modules.js';

export interface OffloadConfig {
  mode: OffloadMode;
  forwardCounter: boolean;
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
  /** Writes the offload configuration and applies it non-quietly, stderr captured. */
  applyOffload(shell: Shell, cfg: OffloadConfig): Promise<ApplyResult>;
  /** The DUT's LAN and WAN device names (the flowtable's devices). */
  readonly devices: { lan: string; wan: string };
  /** Full paths: busybox's shell would run its own applets instead of the real tools. */
  /** The system log (OpenWrt's logread), kept beside the report; absent where there is none. */
  systemLog?(shell: Shell): Promise<string>;
  /** null where the DUT has none (the default image). */
  readonly packageManager: PackageManager | null;
  readonly bin: { nft: string; ip: string; conntrack: string; lsmod: string; dmesg: string };
}
