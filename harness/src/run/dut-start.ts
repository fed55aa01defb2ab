import { attachBoard } from '../boards/attach.js';
import { readCable } from '../boards/cables.js';
import type { Board } from '../boards/schema.js';
import { Lab } from '../lab/lab.js';
import { labNames } from '../lab/names.js';
import { startHostContainers, type HostContainers } from '../containers/host-containers.js';
import type { BootReport } from '../report/types.js';
import type { ConsoleDut } from '../targets/types.js';
import type { ScenarioContext } from './scenario-run.js';
import { bootOpenWrt } from './openwrt-boot.js';
import { startContainerDut } from '../containers/container-dut.js';

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

/**
 * The scenario's lab: taps for a VM, veths for a container, or the board's cables lent to it;
 * its hosts are bare namespaces or, with lab.hosts.container, containers started first.
 */
export async function createLab(ctx: ScenarioContext, hostsLog: string): Promise<Lab> {
  const di = ctx.dutImage;
  const h = ctx.hostsImage;
  const hostContainers = h && await startHostContainers(h.engine!.docker, {
    image: h.image!, rootfs: h.rootfs, engine: h.engine!.where, names: labNames(ctx.runToken, ctx.index), runId: ctx.runToken, log: hostsLog,
  });
  try {
    // Once made, the lab owns them: its destroy() removes them.
    if (di.kind === 'board') return await createBoardLab(di.board, ctx.runToken, ctx.index, hostContainers);
    return await Lab.create(ctx.runToken, ctx.index, { veth: di.kind === 'container', hostContainers });
  } catch (e) {
    await hostContainers?.remove();
    throw e;
  }
}

/** Boots the VM (cold or from a snapshot) or attaches the board; either way a DUT with a shell and a console. */
export async function startDut(
  ctx: ScenarioContext, lab: Lab, transcript: string, bottleneck?: { bitsPerSecond: number; bufferMs: number },
): Promise<{ dut: ConsoleDut; boot: BootReport }> {
  const { scenario: s, signal } = ctx;
  const di = ctx.dutImage;
  if (di.kind === 'board') return attachBoard(di.board, lab, { transcript, bottleneck, signal });
  if (di.kind === 'container') {
    return startContainerDut(di.engine!.docker, { image: di.image!, rootfs: di.rootfs, engine: di.engine!.where, lab, transcript, runId: ctx.runToken, commandTimeoutMs: s.timeouts.commandMs });
  }
  const bootOpts = {
    name: `hil-${lab.names.id}`, profile: di.profile, accel: ctx.accel,
    netns: lab.names.ns.dut, taps: lab.names.taps, withoutModules: s.dut.withoutModules,
    transcript, bootTimeoutMs: s.timeouts.bootMs, commandTimeoutMs: s.timeouts.commandMs, signal,
  };
  return di.kind === 'default' ? ctx.booter.boot({ ...bootOpts, image: di.image }) : bootOpenWrt(ctx.booter, di.resolved, bootOpts);
}
