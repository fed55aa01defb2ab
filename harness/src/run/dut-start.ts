import { attachBoard } from '../boards/attach.js';
import { readCable } from '../boards/cables.js';
import type { Board } from '../boards/schema.js';
import { Lab } from '../lab/lab.js';
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
export async function createBoardLab(b: Board, runToken: string, index: number): Promise<Lab> {
  return Lab.create(runToken, index, await boardCables(b));
}

/** The scenario's lab: taps for a VM, or the board's cables lent to it. */
export async function createLab(ctx: ScenarioContext): Promise<Lab> {
  const di = ctx.dutImage;
  if (di.kind === 'board') return createBoardLab(di.board, ctx.runToken, ctx.index);
  return Lab.create(ctx.runToken, ctx.index, undefined, di.kind === 'container');
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
