import type { Assertion } from '../expect/assertion.js';
import type { BoardReport } from '../boards/board-report.js';
import type { EngineCounters } from '../probes/engine.js';
import type { BootReport } from '../targets/boot-report.js';
import type { ContainerInfo } from '../containers/container-dut.js';
import type { HostsInfo } from '../containers/host-containers.js';
import type { FlashReport } from '../boards/flash.js';
import type { AccountingReport } from '../expect/accounting.js';
import type { FlowReport } from '../expect/flows.js';
import type { FloodReport } from '../expect/flood.js';
import type { FlowLog } from '../expect/forward-log.js';
import type { SqmReport } from '../expect/sqm.js';
import type { LatencyReport } from '../traffic/ping.js';
import type { StreamEnd } from '../traffic/iperf3.js';
import type { TrafficStopReport } from '../run/traffic-stop.js';
import type { OffloadMode } from '../scenario/schema.js';
import type { Accel } from '../targets/types.js';
import type { RootfsManifest } from '../images/rootfs-image.js';
import type { MissingModules } from '../platforms/offload-modules.js';
import type { DeviceAnswer } from '../probes/flow-block.js';
import type { NetdevsimPorts } from '../platforms/netdevsim.js';
import type { RulesetSummary } from '../probes/fw4-ruleset.js';
import type { TxRingReport } from '../targets/tx-rings.js';

// Shapes the parts own, named here too for the readers of report.json.
export type { Assertion, BoardReport, BootReport, EngineCounters };
export type { BootKernel } from '../targets/boot-report.js';

export const STATUSES = ['passed', 'failed', 'error', 'skipped'] as const;
export type Status = (typeof STATUSES)[number];

export interface TimelinePoint {
  tMs: number;
  flows: Record<OffloadMode, number>;
  forwardCounterPackets: number | null;
  /** Forward-chain log lines so far (firewall.forwardLog), from the kernel log's times. */
  forwardLogLines?: number;
  flowtableDevices: number;
  /** SQM: the shapers' counters since the traffic began, summed over the shaped devices (full samples only). */
  shaper?: { bytes: number; drops: number; marks: number };
}

/** One run of a scenario under `--retries`. */
export interface Attempt {
  attempt: number;
  status: Status;
  durationMs: number;
  reason?: string;
  transcript: string | null;
}

export interface StepTiming {
  name: string;
  /** Wall-clock start (ms since the epoch): lines steps of parallel labs up against each other. */
  startMs?: number;
  durationMs: number;
}

/** report.json's per-scenario record (version 1): later tools read it, so extend, never break. */
export interface ScenarioReport {
  name: string;
  file: string;
  status: Status;
  /** The reason for error and skipped. */
  reason?: string;
  durationMs: number;
  accel: Accel | 'board' | 'container' | null;
  board?: BoardReport;
  /** A container DUT: the engine, image and the host kernel it shares, and whether that kernel can hold a flowtable. */
  container?: ContainerInfo & { flowtables: { supported: boolean; error?: string } };
  /** Container lab hosts (lab.hosts.container): the engine, image, container ids and the traffic tools' versions; their logs are in hostsLog. */
  hosts?: HostsInfo;
  hostsLog?: string;
  accelReason?: string;
  /** How the DUT came up; what its boot warned of is in `warnings`, with the rest. */
  boot: Omit<BootReport, 'warnings'> | null;
  offload: {
    requested: OffloadMode;
    effective: OffloadMode | null;
    fallback: boolean;
    warning: string | null;
    kernelError: string | null;
    applyStderr?: string;
    applyExitCode?: number;
    /** The kernel's answer to `flags offload` on each flowtable device alone (null: accepted). */
    refusals?: Record<string, string | null>;
    /** Offload modules absent from the DUT, the package that ships them and how to install it. */
    missing?: MissingModules | null;
    /**
     * Hardware offload requested: each flowtable device's driver answer to the flow block, read
     * from the kernel's trace (answers), or why it could not be read (unknown).
     */
    devices?: { answers?: Record<string, DeviceAnswer>; unknown?: string };
    /** Hardware inserts the flowtable queued (first tries, and retries for flows no device took): before the traffic, and during it. */
    hwInserts?: { before: number | null; during?: number | null; perFlowPerSecond?: number | null };
    /** Hardware offload in words: what was asked, what the ruleset and each device did, where the flows ended up. */
    summary?: string;
  };
  /** The DUT's system: OpenWrt's release, target and package manager, or the default image. */
  platform?: {
    name: string; release?: string; revision?: string; target?: string; arch?: string; packageManager: string | null; offloadPackage: string | null;
    /** /etc/openwrt_release's DISTRIB_DESCRIPTION, and the installed firewall4's version. */
    description?: string; firewall4?: string | null;
  };
  /** An OpenWrt root filesystem tarball booted on offload-hil's kernel: what the image was made into. */
  rootfs?: RootfsManifest;
  /** The simulated offload engine's counters after the traffic (ethtool -S on lan0). */
  engine?: EngineCounters;
  /** dut.netdevsim: the ports made and their hw-tc-offload state as ethtool reads it. */
  netdevsim?: NetdevsimPorts;
  /** dut.packages: what the installer said. */
  packages?: { files: string[]; command: string; exitCode: number; output: string };
  /** OpenWrt's logread output, saved beside the report. */
  systemLog?: string;
  /**
   * What the kernel holds after the firewall was applied (never fw4's exit status). loaded:
   * the kernel holds the ruleset fw4 renders for the configuration now in force (`fw4 print`
   * against `nft -j list ruleset`); present: some table inet fw4 exists, maybe an older one
   * kept when nft rejected the new ruleset whole; differences: how the two differ, in words.
   */
  firewall?: { loaded: boolean; present?: boolean; flowtable: boolean; nftErrors: string[]; differences?: string[]; rendered?: RulesetSummary; kernel?: RulesetSummary | null };
  flows: FlowReport[];
  /** The harness stopped the traffic once every expectation was decided (absent: the streams ran their duration). */
  trafficStop?: TrafficStopReport;
  traffic: {
    proto: string; family: string; direction: string; streams: number; bitsPerSecond: number; bytes: number; error: string | null;
    /** iperf3's per-second throughput, ms after the traffic phase began (the interval's end). */
    intervals?: { tMs: number; bitsPerSecond: number }[];
    /** Why the stream ended and when (ms after the traffic phase began): decided, its full duration, or an error. */
    end?: StreamEnd;
  }[];
  /** The lab's WAN bottleneck (lab.bottleneck). */
  bottleneck?: { bitsPerSecond: number; bufferMs: number };
  /** The shaper per direction: rates, throughput, and its counters over the traffic. */
  sqm?: SqmReport;
  /** The ping probe: idle, under load, and every sample. */
  latency?: LatencyReport;
  /** Forward-chain log lines per data stream (firewall.forwardLog), same order as flows. */
  forwardLog?: (FlowLog & { orig: string })[] | { error: string };
  /** The UDP flood (flood): per round, how many flows reached the flowtable and how fast; counts over time. */
  flood?: FloodReport;
  /** Conntrack's byte counters against iperf3's. */
  accounting?: AccountingReport;
  assertions: Assertion[];
  timeline: TimelinePoint[];
  /**
   * error: the kernel log could not be read (no verdict on it then). txRings: after a transmit
   * queue timeout on an emulated DUT, its NICs' transmit rings as QEMU saw them (or why they
   * could not be read).
   */
  kernelLog: { trouble: string[]; error?: string; txRings?: TxRingReport[] | { error: string } };
  /** A fault of the lab, not of the system under test (QEMU stopped a NIC): the scenario errs, its verdicts say nothing of the firmware. */
  labFault?: string;
  steps: StepTiming[];
  transcript: string | null;
  /** The conntrack sampler during traffic: how many samples and how long they took. */
  sampling?: { samples: number; medianMs: number; maxMs: number };
  /** What went wrong beside the verdict, told as it came and shown by every reporter: a snapshot QEMU could not restore, a kernel log that could not be read, a console transcript cut short by a full disk. */
  warnings?: string[];
  /** With --retries, when the first attempt failed: every attempt, the last one being this report. */
  attempts?: Attempt[];
  /** Passed only after failing: counted apart in every reporter. */
  flaky?: boolean;
}

export interface RunReport {
  version: 1;
  runId: string;
  startedAt: string;
  durationMs: number;
  /** Boards flashed at the start of the run (`flash` in the board file, or --flash). */
  flash?: FlashReport[];
  host: { node: string; jobs: number; measureJobs?: number };
  /** With --shard: which slice of the scenario set this run took. */
  shard?: { index: number; count: number; of: number };
  retries?: number;
  /** `hil report merge`: the runs this report was made from. */
  merged?: { runId: string; file: string; shard?: { index: number; count: number; of: number } }[];
  scenarios: ScenarioReport[];
}
