import { attachBoard, type BoardDut } from '../boards/attach.js';
import { readCable } from '../boards/cables.js';
import type { Board } from '../boards/schema.js';
import { startContainerDut, type ContainerDut } from '../containers/container-dut.js';
import { startHostContainers, type HostContainers } from '../containers/host-containers.js';
import { Lab } from '../lab/lab.js';
import { labNames } from '../lab/names.js';
import { DefaultPlatform } from '../platforms/default.js';
import { OpenWrtPlatform } from '../platforms/openwrt.js';
import type { Platform } from '../platforms/types.js';
import type { BootReport, ScenarioReport } from '../report/types.js';
import { BOOT_TIMEOUT_MS, bootTimeoutMs, type KernelFlavour, type Scenario } from '../scenario/schema.js';
import type { ConsoleDut } from '../targets/types.js';
import { describeContainerKernel } from './container-step.js';
import type { DutImage } from './dut-image.js';
import { bootOpenWrt } from './openwrt-boot.js';
import type { ScenarioContext } from './context.js';

type Bottleneck = { bitsPerSecond: number; bufferMs: number };

/**
 * What differs between DUT kinds, in one place: how the lab is built around it, how it is
 * started and reached, which platform drives it, and what the report says of it. The steps
 * of a scenario call these and never ask which kind they hold (labgrid's lesson: a target
 * is its interfaces).
 */
export interface DutTarget {
  /** The teardown entry that stops it. */
  readonly stopName: 'qemu' | 'board' | 'container';
  lab(ctx: ScenarioContext, hostContainers?: HostContainers): Promise<Lab>;
  start(ctx: ScenarioContext, lab: Lab, transcript: string, bottleneck?: Bottleneck): Promise<{ dut: ConsoleDut; boot: BootReport }>;
  /** The system on it; throws when the scenario asks what this DUT cannot give. */
  platform(s: Scenario, dut: ConsoleDut): Promise<Platform>;
  /** What the report says of this DUT once it is up. */
  describe(dut: ConsoleDut, report: ScenarioReport): void;
  /** After the firewall was applied: what the report adds (a container's kernel, say). */
  afterConfigure?(dut: ConsoleDut, report: ScenarioReport): Promise<void>;
}

/** A board's cables as they are before the lab takes them. */
async function boardCables(b: Board) {
  return {
    lan: { state: await readCable(b.cables.lan), mode: b.cables.mode },
    wan: { state: await readCable(b.cables.wan), mode: b.cables.mode },
  };
}

/** A lab around a board: its cables lent to the lab's hosts. */
export async function createBoardLab(b: Board, runToken: string, index: number, hostContainers?: HostContainers): Promise<Lab> {
  return Lab.create(runToken, index, { cables: await boardCables(b), hostContainers });
}

function noEngineOrNetdevsim(s: Scenario, what: string): void {
  if (s.dut.offloadEngine) throw new Error(`dut.offloadEngine needs the default image (it ships hil_offload.ko); ${what}`);
  if (s.dut.netdevsim) throw new Error(`dut.netdevsim needs the default image (it ships netdevsim.ko built for its kernel); ${what}`);
}

async function openWrtOn(dut: ConsoleDut, what: string, o: { container?: boolean; bootMs?: number } = {}): Promise<OpenWrtPlatform> {
  const p = await OpenWrtPlatform.detect(dut.shell, o);
  if (!p) throw new Error(`${what} booted, but it is not OpenWrt (no /etc/openwrt_release): offload-hil drives OpenWrt images and its own default image`);
  if (!o.container) return p;
  // A container answers exec before procd has made /tmp and /var: opkg can read its records only once the system is up.
  await p.waitSystemReady(dut.shell, o.bootMs ?? BOOT_TIMEOUT_MS.openwrt);
  return (await OpenWrtPlatform.detect(dut.shell, o)) ?? p;
}

/**
 * The flavour offload-hil's kernel runs in: the run's flag, else the scenario's, else the
 * system's own default (an OpenWrt rootfs gets OpenWrt's behaviour, as its kernel would have).
 * A DUT on another kernel (its own, a board's, the host's) has no flavour to choose.
 */
function flavourOf(ctx: ScenarioContext, ours: KernelFlavour | null): KernelFlavour {
  const asked = ctx.kernelFlavour ?? ctx.scenario.dut.kernelFlavour;
  if (ours === null) {
    const why = 'a flavour applies to offload-hil\'s own kernel (the default image, root filesystem tarballs); this DUT runs its own';
    if (ctx.kernelFlavour) throw new Error(`--kernel-flavour ${ctx.kernelFlavour}: ${why}`);
    // The scenario is about a kernel behaviour this DUT's kernel does not let the harness choose.
    if (asked) throw new NotApplicable(`dut.kernelFlavour: ${asked}: ${why}`);
    return 'upstream';
  }
  return asked ?? ours;
}

/**
 * dut.kernel and --kernel pick offload-hil's own kernel (prepareImages built the DUT for it);
 * a DUT on another kernel cannot honour them: the run's flag skips it, the scenario's too
 * (it is about a kernel this DUT does not let the harness choose).
 */
function ownKernelOnly(ctx: ScenarioContext): void {
  const asked = ctx.kernel ?? ctx.scenario.dut.kernel;
  if (asked) throw new NotApplicable(`${ctx.kernel ? '--kernel' : 'dut.kernel:'} ${asked}: the kernel series applies to offload-hil's own kernel (the default image, root filesystem tarballs); this DUT runs its own`);
}

/** The scenario asks what this DUT cannot be: skipped with the reason, not failed. */
export class NotApplicable extends Error {}

const qemuOpts = (ctx: ScenarioContext, lab: Lab, transcript: string, system: 'default' | 'openwrt') => ({
  name: `hil-${lab.names.id}`, accel: ctx.accel, netns: lab.names.ns.dut, taps: lab.names.taps, withoutModules: ctx.scenario.dut.withoutModules,
  transcript, bootTimeoutMs: bootTimeoutMs(ctx.scenario, system), commandTimeoutMs: ctx.scenario.timeouts.commandMs, signal: ctx.signal,
});
const vmLab = (ctx: ScenarioContext, hostContainers?: HostContainers) => Lab.create(ctx.runToken, ctx.index, { hostContainers });

export function targetFor(di: Exclude<DutImage, { kind: 'error' }>): DutTarget {
  switch (di.kind) {
    case 'default':
      return {
        stopName: 'qemu',
        lab: vmLab,
        start: async (ctx, lab, transcript) => {
          const flavour = flavourOf(ctx, 'upstream');
          const booted = await ctx.booter.boot({ ...qemuOpts(ctx, lab, transcript, 'default'), flavour, profile: di.profile, image: di.image });
          booted.boot.kernel = { by: 'offload-hil', series: di.image.series, release: booted.dut.banner.kernel ?? di.image.kernelRelease ?? '', ...di.image.kernelPackage, flavour };
          return booted;
        },
        platform: async (s) => new DefaultPlatform(s.dut.offloadEngine, s.dut.netdevsim),
        describe: () => {},
      };
    case 'openwrt':
      return {
        stopName: 'qemu',
        lab: vmLab,
        start: async (ctx, lab, transcript) => {
          const flavour = flavourOf(ctx, di.resolved.kind === 'rootfs' ? 'openwrt' : null);
          if (di.resolved.kind !== 'rootfs') ownKernelOnly(ctx);
          const booted = await bootOpenWrt(ctx.booter, di.resolved, { ...qemuOpts(ctx, lab, transcript, 'openwrt'), flavour, profile: di.profile });
          if (booted.boot.kernel?.by === 'offload-hil') booted.boot.kernel.flavour = flavour;
          return booted;
        },
        platform: async (s, dut) => {
          noEngineOrNetdevsim(s, 'this is an OpenWrt image');
          return openWrtOn(dut, 'the image');
        },
        describe: (_dut, report) => {
          if (di.resolved.kind === 'rootfs') report.rootfs = di.resolved.image.manifest;
        },
      };
    case 'board':
      return {
        stopName: 'board',
        lab: (ctx, hostContainers) => createBoardLab(di.board, ctx.runToken, ctx.index, hostContainers),
        start: async (ctx, lab, transcript, bottleneck) => {
          flavourOf(ctx, null);
          ownKernelOnly(ctx);
          const r = await attachBoard(di.board, lab, { transcript, bottleneck, signal: ctx.signal });
          r.boot.kernel = { by: 'board', release: r.dut.banner.kernel ?? '' };
          return r;
        },
        // A board runs OpenWrt, or (the tests' stand-in) the default image's tools.
        platform: async (s, dut) => {
          const owrt = await OpenWrtPlatform.detect(dut.shell);
          if (owrt && s.dut.offloadEngine) throw new Error('dut.offloadEngine needs the default image (it ships hil_offload.ko); this board runs OpenWrt');
          return owrt ?? new DefaultPlatform(s.dut.offloadEngine);
        },
        describe: (dut, report) => {
          report.board = (dut as BoardDut).board;
        },
      };
    case 'container':
      return {
        stopName: 'container',
        lab: (ctx, hostContainers) => Lab.create(ctx.runToken, ctx.index, { veth: true, hostContainers }),
        start: async (ctx, lab, transcript) => {
          flavourOf(ctx, null);
          ownKernelOnly(ctx);
          const r = await startContainerDut(di.engine!.docker, {
            image: di.image!, rootfs: di.rootfs, init: di.openwrt ? 'procd' : 'idle', engine: di.engine!.where, lab, transcript, runId: ctx.runToken, commandTimeoutMs: ctx.scenario.timeouts.commandMs,
          });
          // The host's kernel: a distribution's, not OpenWrt's.
          r.boot.kernel = { by: 'host', release: r.dut.container.hostKernel, flavour: 'upstream', flavourAssumed: true };
          return r;
        },
        platform: async (s, dut) => {
          if (s.dut.offloadEngine || s.dut.netdevsim || s.dut.withoutModules.length) {
            throw new Error('a container DUT runs on the host\'s kernel: dut.offloadEngine, dut.netdevsim and dut.withoutModules need a VM');
          }
          // An OpenWrt root filesystem runs its own init (procd) and is driven as OpenWrt.
          return di.openwrt ? openWrtOn(dut, 'the container', { container: true, bootMs: bootTimeoutMs(s, 'openwrt') }) : new DefaultPlatform();
        },
        describe: () => {},
        afterConfigure: (dut, report) => describeContainerKernel(dut as ContainerDut, report),
      };
  }
}

/**
 * The scenario's lab: taps for a VM, veths for a container, or the board's cables lent to it;
 * its hosts are bare namespaces or, with lab.hosts.container, containers started first.
 */
export async function createLab(ctx: ScenarioContext, target: DutTarget, hostsLog: string): Promise<Lab> {
  const h = ctx.hostsImage;
  const hostContainers = h && await startHostContainers(h.engine!.docker, {
    image: h.image!, rootfs: h.rootfs, engine: h.engine!.where, names: labNames(ctx.runToken, ctx.index), runId: ctx.runToken, log: hostsLog,
  });
  try {
    // Once made, the lab owns them: its destroy() removes them.
    return await target.lab(ctx, hostContainers);
  } catch (e) {
    await hostContainers?.remove();
    throw e;
  }
}
