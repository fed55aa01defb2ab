import { z } from 'zod';

/** Const tables: the unions below derive from them, so a typo is a compile error. */
export const OFFLOAD_MODES = ['none', 'sw', 'hw'] as const;
export type OffloadMode = (typeof OFFLOAD_MODES)[number];
export const PROTOS = ['tcp', 'udp'] as const;
export const FAMILIES = ['ipv4', 'ipv6'] as const;
export const DIRECTIONS = ['upload', 'download'] as const;
/** How offload-hil's kernel behaves where OpenWrt's kernels differ from Linux's (patch 701). */
export const KERNEL_FLAVOURS = ['upstream', 'openwrt'] as const;
export type KernelFlavour = (typeof KERNEL_FLAVOURS)[number];
/** The Linux series offload-hil's own kernel comes in: Debian bookworm's and bookworm-backports'. */
export const KERNEL_SERIES = ['6.1', '6.12'] as const;
export type KernelSeries = (typeof KERNEL_SERIES)[number];
export const DEFAULT_KERNEL: KernelSeries = '6.1';

const bitrate = z
  .union([z.number().int().nonnegative(), z.string().regex(/^\d+(\.\d+)?[KMG]?$/, 'a rate such as 100M, 1G or 0 (unlimited)')])
  .transform(String);

/** Bits per second from "20M", "1.5G", "800K" or a plain number. */
export function rateBits(rate: string): number {
  const m = /^(\d+(?:\.\d+)?)([KMG]?)$/.exec(rate);
  if (!m) throw new Error(`not a rate: ${rate}`);
  return Math.round(Number(m[1]) * { '': 1, K: 1e3, M: 1e6, G: 1e9 }[m[2] as '' | 'K' | 'M' | 'G']);
}
const shapedRate = z.string().regex(/^\d+(\.\d+)?[KMG]$/, 'a rate such as 20M or 800K');

export const SQM_QDISCS = ['cake', 'fq_codel'] as const;
/** Shaping on the DUT's WAN device, as sqm-scripts sets it up. */
export const sqmSchema = z
  .strictObject({
    /** cake (sqm-scripts' piece_of_cake.qos), or htb with fq_codel leaves (simple.qos) where cake is missing. */
    qdisc: z.enum(SQM_QDISCS).default('cake'),
    /** Upload shaping: the WAN device's root qdisc. */
    egress: shapedRate.optional(),
    /** Download shaping: WAN ingress redirected to an ifb (ifb4<wan>) that carries the shaper. */
    ingress: shapedRate.optional(),
  })
  .refine((q) => q.egress !== undefined || q.ingress !== undefined, { message: 'sqm needs egress, ingress or both' });
export type Sqm = z.infer<typeof sqmSchema>;

export const trafficSchema = z
  .strictObject({
    tool: z.literal('iperf3').default('iperf3'),
    proto: z.enum(PROTOS).default('tcp'),
    family: z.enum(FAMILIES).default('ipv4'),
    /** upload: LAN host sends to the WAN host; download: the WAN host sends (iperf3 -R). */
    direction: z.enum(DIRECTIONS).default('upload'),
    streams: z.number().int().min(1).max(128).default(1),
    /** Seconds: the most the stream runs. It ends sooner once every expectation of the scenario is decided (`hil run --fixed-duration`: never). */
    duration: z.number().min(1).max(600).default(3),
    /** Seconds: the least the stream runs before it may end early (default 1, or duration if shorter). */
    minDuration: z.number().min(0).max(600).optional(),
    /**
     * TCP congestion control of both ends (iperf3 -C). cubic, Linux's default, unless asked:
     * a host running BBR keeps a modem's queue nearly empty and would hide bufferbloat.
     */
    congestion: z.enum(['cubic', 'reno', 'bbr']).default('cubic'),
    /** iperf3 -b; UDP defaults to 1M in iperf3 itself, so say it for UDP. */
    bitrate: bitrate.optional(),
  })
  .refine((t) => t.minDuration === undefined || t.minDuration <= t.duration, { message: 'minDuration must not exceed duration', path: ['minDuration'] });
export type Traffic = z.infer<typeof trafficSchema>;

/**
 * How long a DUT may take from power on to ready when the scenario does not say
 * (timeouts.bootMs): the default image is up in about 3 s, an OpenWrt system under TCG in
 * 32-55 s alone (procd, netifd, firewall4) and well over 60 s when two labs share two cores.
 */
export const BOOT_TIMEOUT_MS = { default: 60_000, openwrt: 240_000 } as const;

export function bootTimeoutMs(s: { timeouts: { bootMs?: number } }, system: keyof typeof BOOT_TIMEOUT_MS): number {
  return s.timeouts.bootMs ?? BOOT_TIMEOUT_MS[system];
}

/** Many short UDP flows at once (conntrack and the flowtable filling up), optionally repeated: a soak. */
export const floodSchema = z.strictObject({
  /** Flows per round, each from its own LAN source port to the WAN host's echo. */
  flows: z.number().int().min(1).max(20_000),
  /** Datagrams per flow, each waiting for its echo: the first reply makes the flow offloadable. */
  packetsPerFlow: z.number().int().min(2).max(100).default(3),
  /** Flows in progress at a time. */
  concurrency: z.number().int().min(1).max(1024).default(256),
  /** Rounds of the flood; with a gap, a soak: flows are offloaded, then expire, again and again. */
  rounds: z.number().int().min(1).max(1000).default(1),
  /** Seconds after each round, sampling on, for its flows to expire. */
  roundGapS: z.number().min(0).max(600).default(0),
});
export type Flood = z.infer<typeof floodSchema>;

const expectBase = z
  .strictObject({
    offload: z
      .strictObject({
        /** The mode the kernel's ruleset shows, not the one requested. */
        effective: z.enum(OFFLOAD_MODES).optional(),
        /** Whether firewall4's "falling back to software offloading" warning was printed. */
        fallback: z.boolean().optional(),
        /** Offload modules that must be absent from the DUT (and named in the report), e.g. without kmod-nft-offload. */
        missingModules: z.array(z.string().regex(/^[a-z0-9_-]+$/)).optional(),
        /** Devices the kernel must have refused `flags offload` for, each on its own (the error is in the report). */
        refusedDevices: z.array(z.string().min(1)).optional(),
        /**
         * Exactly the flowtable devices whose driver took the flow block (hardware offload), as
         * the kernel's trace shows; [] for none. Read through kprobe events: a kernel without
         * them fails this with the reason.
         */
        acceptedDevices: z.array(z.string().min(1)).optional(),
      })
      .optional(),
    firewall: z
      .strictObject({
        /**
         * Whether fw4's table exists after the reload. Without this, a router left with no
         * firewall at all fails every scenario, whatever fw4's exit status said.
         */
        loaded: z.boolean(),
      })
      .optional(),
    flows: z
      .strictObject({
        /** The state every data stream was last seen in while its traffic ran. */
        state: z.enum(OFFLOAD_MODES).optional(),
        /** At least this many data streams last seen in each state (a table that filled up: some hw, some sw). */
        minPerState: z.strictObject({ none: z.number().int().min(0).optional(), sw: z.number().int().min(0).optional(), hw: z.number().int().min(0).optional() }).optional(),
        /**
         * How many data streams must have been found in conntrack at all (default 1). 0 with
         * state none: a router with no ruleset tracks nothing, and an untracked stream is not offloaded.
         */
        minMatched: z.number().int().min(0).optional(),
      })
      .refine((f) => f.state !== undefined || f.minPerState !== undefined, { message: 'flows needs state or minPerState' })
      .optional(),
    /** The simulated offload engine's own counters (ethtool -S on its ports), read after the traffic. */
    engine: z
      .strictObject({
        minHits: z.number().int().min(0).optional(),
        minTableFull: z.number().int().min(0).optional(),
        maxEntries: z.number().int().min(0).optional(),
        /** After the traffic, the engine's table empties within this time (flows expire and are destroyed). */
        drainedWithinMs: z.number().int().positive().optional(),
      })
      .optional(),
    /** Shaping judged from throughput per direction, latency under load, and the shaper's own counters. */
    sqm: z
      .strictObject({
        state: z.enum(['effective', 'bypassed']),
        /** effective: each shaped direction's throughput is at most its rate times (1 + this). */
        rateTolerance: z.number().min(0).max(2).default(0.15),
        /** effective: median latency under load exceeds the idle median by at most this (measured: 1-3 ms shaped, 39-83 ms with the rate ten times too high). */
        maxLatencyIncreaseMs: z.number().positive().default(15),
        /** bypassed: the fastest shaped direction at least its rate times this (measured: 1.5-1.9 at 20 Mbit/s under a 40 Mbit/s modem), every shaper having seen under a tenth of the bytes. */
        bypassFactor: z.number().min(1).default(1.25),
      })
      .optional(),
    /** Forward-chain `log` lines per data stream (firewall.forwardLog), read from the kernel log. */
    forwardLog: z
      .strictObject({
        /** Lines of a stream logged after it was first seen offloaded (its closing FIN/RST is not counted). */
        maxLinesWhileOffloaded: z.number().int().min(0).optional(),
        /** Lines per second over each stream's run: logging keeps up with the flow. */
        minLinesPerSecond: z.number().min(0).optional(),
      })
      .optional(),
    /** Conntrack's per-flow byte counters against the bytes iperf3 moved (net.netfilter.nf_conntrack_acct). */
    ctAccounting: z
      .strictObject({
        minFraction: z.number().min(0).optional(),
        maxFraction: z.number().min(0).optional(),
      })
      .optional(),
    /** The UDP flood (flood): how many of its flows reached the flowtable, and, over rounds, no drift. */
    flood: z
      .strictObject({
        /** In every round, the most flood flows seen offloaded at once, over the round's flows. */
        minOffloadedFraction: z.number().min(0).max(1).optional(),
        /** In every round, the most flood flows offloaded at once over the most in conntrack at once. */
        minOffloadedOfTracked: z.number().min(0).max(1).optional(),
        /** Flows that got at least one echo back, over the flows sent, in every round. */
        minAnsweredFraction: z.number().min(0).max(1).optional(),
        /** Whether conntrack filled up (nf_conntrack_count reached nf_conntrack_max) and flows went unanswered. */
        conntrackFull: z.boolean().optional(),
        /** Whether nf_conntrack_count reached nf_conntrack_max at all, whatever became of the flows. */
        conntrackReachedMax: z.boolean().optional(),
        /**
         * Soak: after each round's gap at most this many of its flows are still in conntrack
         * (they expire), and no round offloads less than 0.9 of the first round's peak.
         */
        maxLeftAfterGap: z.number().int().min(0).optional(),
      })
      .optional(),
    forwardCounter: z
      .strictObject({
        /** Forward-chain counter packets divided by the packets conntrack counted for the traffic. */
        maxFraction: z.number().positive().max(1).optional(),
        minFraction: z.number().min(0).max(1).optional(),
        /** An absolute bound, for hardware offload: conntrack learns a hardware flow's packets only seconds later. */
        maxPackets: z.number().int().min(0).optional(),
      })
      .optional(),
  });
const checksSomething = (e: object) => Object.values(e).some((v) => v !== undefined);
const NOTHING = { message: 'expect needs at least one expectation: a scenario that checks nothing cannot pass' };
export const expectSchema = expectBase.refine(checksSomething, NOTHING);
export type Expect = z.infer<typeof expectSchema>;

/**
 * A container DUT runs on the host's kernel. hostKernel.withoutFlowtables: the expectations
 * that hold instead of expect's own when that kernel cannot create a flowtable (this
 * project's CI hosts), so one scenario asserts software offload where the kernel can.
 */
const hostKernelSchema = z.strictObject({ withoutFlowtables: expectSchema });

/**
 * Where a verdict depends on the kernel: expectations that hold instead of expect's own on a
 * kernel of that flavour (upstream fails a flowtable a device refuses, and firewall4 falls
 * back; OpenWrt's patch 701 keeps it, unwarned) or of that series (offload-hil's kernel,
 * dut.kernel). A series' entry wins over a flavour's; say why in a comment, from the source.
 */
const onKernelSchema = z.strictObject({
  openwrt: expectSchema.optional(), upstream: expectSchema.optional(),
  '6.1': expectSchema.optional(), '6.12': expectSchema.optional(),
});

export const scenarioSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'lowercase letters, digits, ".", "_" and "-"').optional(),
  description: z.string().optional(),
  target: z
    .strictObject({
      /** "default", a path (relative to this file), "URL#sha256=HEX", or "kernel=REF,rootfs=REF". `hil run --image` overrides it. */
      image: z.string().min(1).default('default'),
      /** A qemu/ profile; by default chosen from the image (x86-64 for the default image). */
      profile: z.string().regex(/^[a-z0-9._-]+$/).optional(),
      /** A board description (relative to this file): the scenario runs on that board, not a VM. `hil run --board` overrides it. */
      board: z.string().min(1).optional(),
      /** A container DUT from a root filesystem tarball (relative to this file), or "default" (the default image's userland). */
      container: z.string().min(1).optional(),
    })
    .default({ image: 'default' }),
  dut: z
    .strictObject({
      /** Kernel modules deleted from the DUT before boot-time loading: absent, not merely unloaded. */
      withoutModules: z.array(z.string().regex(/^[a-z0-9_-]+$/)).default([]),
      /**
       * How offload-hil's kernel behaves where OpenWrt's differs (the default image and rootfs
       * tarballs): `upstream` as Linux does; `openwrt` with OpenWrt's patch 701, so a device
       * refusing hardware offload (-EOPNOTSUPP) no longer fails the flowtable. Default: upstream
       * on the default image, openwrt for an OpenWrt rootfs tarball. `hil run --kernel-flavour` overrides it.
       */
      kernelFlavour: z.enum(KERNEL_FLAVOURS).optional(),
      /**
       * Which Linux offload-hil's kernel is (the default image, rootfs tarballs): "6.1"
       * (Debian bookworm's, the default) or "6.12" (bookworm-backports'), the exact version
       * whatever the archive has. A DUT running its own kernel cannot honour it. `hil run --kernel` overrides it.
       */
      kernel: z.enum(KERNEL_SERIES).optional(),
      /** netdevsim ports nsim0..N-1 (default image), put into the flowtable with the LAN zone's devices. */
      netdevsim: z
        .strictObject({
          ports: z.number().int().min(1).max(8).default(2),
          /** ethtool -K hw-tc-offload on the ports. */
          hwTcOffload: z.boolean().default(true),
        })
        .optional(),
      /**
       * The simulated flow-offload engine (default image): the router's ports become lan0/wan0
       * over its NICs, and `flags offload` on them is accepted, up to `entries` rules.
       */
      offloadEngine: z
        .strictObject({
          entries: z.number().int().min(1).max(65536).default(256),
          /** ethtool -K on the ports: off makes them refuse the flowtable (the fallback case). */
          hwTcOffload: z.boolean().default(true),
        })
        .optional(),
      /** Kernel settings applied before the firewall, e.g. net.netfilter.nf_flowtable_tcp_timeout: 3. */
      sysctl: z.record(z.string().regex(/^[a-z0-9_.-]+$/), z.union([z.number(), z.string().regex(/^[A-Za-z0-9 _.:-]*$/)])).default({}),
      /** Local .ipk/.apk files (relative to this file) installed on an OpenWrt DUT before the test, without network. */
      packages: z.array(z.string().regex(/\.(ipk|apk)$/, 'a .ipk or .apk file')).default([]),
    })
    .default({ withoutModules: [], packages: [], sysctl: {} }),
  offload: z.enum(OFFLOAD_MODES),
  firewall: z
    .strictObject({
      /** A counter rule at the top of the forward chain (the "complex logging" caveat made visible). */
      forwardCounter: z.boolean().default(false),
      /**
       * A `log` rule at the top of the forward chain for TCP and UDP, rate-limited so the
       * kernel's ring buffer holds a whole run (0: no limit).
       */
      forwardLog: z.strictObject({ limitPerSecond: z.number().int().min(0).max(10_000).default(200) }).optional(),
      /** The flowtable's `counter` flag (firewall4 sets it): without it, offloaded packets never reach conntrack's counters. */
      flowtableCounter: z.boolean().default(true),
    })
    .default({ forwardCounter: false, flowtableCounter: true }),
  sqm: sqmSchema.optional(),
  lab: z
    .strictObject({
      /**
       * The WAN link as a slower modem with a deep buffer, both directions (tbf on the lab's
       * side of the link): unshaped traffic builds a real queue there.
       */
      bottleneck: z.strictObject({ rate: shapedRate, bufferMs: z.number().int().min(1).max(5000).default(300) }).optional(),
      /**
       * The LAN and WAN hosts as containers run by the Docker engine, their traffic tools (iperf3,
       * iputils ping) the image's: a root filesystem tarball (relative to this file), or "default"
       * (images/hosts). Without it they are bare namespaces using this machine's tools.
       */
      hosts: z.strictObject({ container: z.string().min(1) }).optional(),
    })
    .default({}),
  /** A latency probe (ping from the LAN host to the WAN host) before and during the traffic; on by default with expect.sqm. */
  latency: z
    .strictObject({
      intervalMs: z.number().int().min(20).max(1000).default(100),
      /** Probing before the traffic starts: the idle latency. */
      idleMs: z.number().int().min(200).max(30_000).default(2000),
      /** Samples in the first part of the traffic are left out of "under load": queues are still filling. */
      warmupMs: z.number().int().min(0).max(30_000).default(1500),
    })
    .optional(),
  /** iperf3 runs, all at once; a scenario has traffic, a flood, or both. */
  traffic: z.array(trafficSchema).default([]),
  flood: floodSchema.optional(),
  sampling: z.strictObject({ intervalMs: z.number().int().min(50).max(10_000).default(300) }).default({ intervalMs: 300 }),
  timeouts: z
    .strictObject({
      /** Unset: the DUT's own default (bootTimeoutMs). */
      bootMs: z.number().int().positive().optional(),
      commandMs: z.number().int().positive().default(20_000),
    })
    .default({ commandMs: 20_000 }),
  expect: expectBase.extend({ hostKernel: hostKernelSchema.optional(), onKernel: onKernelSchema.optional() }).refine(checksSomething, NOTHING),
}).superRefine((s, ctx) => {
  // Expectations that read something only another block makes: say so at load, not after a run.
  const needs = (has: unknown, path: string[], what: string) => {
    if (!has) ctx.addIssue({ code: 'custom', path, message: what });
  };
  if (s.expect.sqm) needs(s.sqm, ['expect', 'sqm'], 'expect.sqm needs an sqm block (the shaper to judge)');
  if (s.expect.forwardLog) needs(s.firewall.forwardLog, ['expect', 'forwardLog'], 'expect.forwardLog needs firewall.forwardLog');
  if (s.expect.forwardCounter) needs(s.firewall.forwardCounter, ['expect', 'forwardCounter'], 'expect.forwardCounter needs firewall.forwardCounter: true');
  if (s.expect.engine) needs(s.dut.offloadEngine, ['expect', 'engine'], 'expect.engine needs dut.offloadEngine');
  if (s.expect.flood) needs(s.flood, ['expect', 'flood'], 'expect.flood needs a flood block');
  if (s.expect.flows) needs(s.traffic.length, ['expect', 'flows'], 'expect.flows needs traffic (iperf3 streams to follow)');
  needs(s.traffic.length || s.flood, ['traffic'], 'a scenario needs traffic, a flood, or both');
});

export type ScenarioInput = z.input<typeof scenarioSchema>;
export type ScenarioSpec = z.infer<typeof scenarioSchema>;
export interface Scenario extends ScenarioSpec {
  name: string;
  file: string;
}
