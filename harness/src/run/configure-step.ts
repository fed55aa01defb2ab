import { DefaultPlatform } from '../platforms/default.js';
import type { Platform } from '../platforms/types.js';
import type { SqmDevices } from '../platforms/sqm.js';
import { createNetdevsim } from '../platforms/netdevsim.js';
import { missingOffloadModules } from '../platforms/offload-modules.js';
import { hwOffloadRefusal } from '../probes/hw-offload.js';
import { effectiveOffload } from '../probes/nft.js';
import { renderFw4, rulesetDifferences, summarizeRendered, type RulesetSummary } from '../probes/fw4-ruleset.js';
import { armFlowBlockProbes, deviceAnswers, hwInsertCount } from '../probes/flow-block.js';
import { takeSnapshot } from '../probes/snapshot.js';
import type { ScenarioReport } from '../report/types.js';
import type { Scenario } from '../scenario/schema.js';
import type { ConsoleDut } from '../targets/types.js';
import type { DutTarget } from './dut-target.js';
import type { Ruleset } from '../probes/nft.js';

export interface Configured {
  /** The shaped devices, when the scenario has SQM. */
  sqmDevices?: SqmDevices;
  /** The ruleset as read right after the reload: the traffic's sampler starts from it. */
  ruleset: Ruleset;
}

/**
 * What each device of the flowtable fw4 renders answers to hardware offload (its driver's
 * answer to the flow block, from the kernel's trace), asked alone; arms the count of
 * hardware inserts too.
 */
async function askDevices(dut: ConsoleDut, platform: Platform, report: ScenarioReport, rendered: RulesetSummary): Promise<void> {
  const ft = rendered.flowtables.ft ?? Object.values(rendered.flowtables)[0];
  const devices = ft?.devices ?? [platform.devices.lan, platform.devices.wan];
  const unavailable = await armFlowBlockProbes(dut.shell);
  if (unavailable) {
    report.offload.devices = { unknown: unavailable };
    return;
  }
  report.offload.devices = { answers: await deviceAnswers(dut.shell, platform.bin.nft, devices) };
  report.offload.hwInserts = { before: null };
}

/**
 * The firewall with the scenario's offload mode (and netdevsim ports, SQM) applied on the DUT,
 * and what the kernel made of it in the report: the effective mode, firewall4's warning, the
 * kernel's error, missing modules, each device's hardware-offload refusal.
 */
export async function configureDut(
  s: Scenario, target: DutTarget, dut: ConsoleDut, platform: Platform, report: ScenarioReport,
): Promise<Configured> {
  let extraLanDevices: string[] = [];
  if (s.dut.netdevsim) {
    if (!(platform instanceof DefaultPlatform)) throw new Error('dut.netdevsim needs the default image (it ships netdevsim.ko built for its kernel)');
    // Carrying the traffic, they were made with the network (nsim0/nsim1 are the router's
    // LAN and WAN ports); otherwise they are made here and stand in the LAN zone beside eth0.
    report.netdevsim = platform.netdevsimPorts ?? await createNetdevsim(dut.shell, s.dut.netdevsim, platform.bin);
    const carrying = Object.values(report.netdevsim.carrying ?? {});
    extraLanDevices = report.netdevsim.ports.filter((p) => !carrying.includes(p));
  }
  await platform.configureOffload(dut.shell, {
    mode: s.offload, forwardCounter: s.firewall.forwardCounter, forwardLog: s.firewall.forwardLog, flowtableCounter: s.firewall.flowtableCounter, extraLanDevices,
  });
  // What fw4 renders for this configuration, and each device's answer to hardware offload,
  // asked before the reload, as fw4's own probe asks: afterwards the flowtable in force holds
  // the devices' flow blocks, and a second one on the same port is refused (-EBUSY) by drivers
  // that take one block each, which would make a render then differ from the reload's.
  const rendered = summarizeRendered(await renderFw4(dut.shell, platform.bin.fw4));
  if (s.offload === 'hw') await askDevices(dut, platform, report, rendered);
  const applied = await platform.reloadFirewall(dut.shell);
  report.offload.applyStderr = applied.result.stderr;
  report.offload.applyExitCode = applied.result.exitCode;
  report.offload.warning = applied.output.warning;
  report.offload.fallback = applied.output.warning !== null;
  // The ruleset and flowtables only: nothing here reads conntrack (the sampler's first sample does).
  const snap = await takeSnapshot(dut.shell, platform, performance.now(), false, false);
  report.offload.effective = effectiveOffload(snap.ruleset);
  // fw4's exit status says nothing, and a table inet fw4 may be the one from before a
  // rejected reload: loaded means the kernel holds what fw4 renders for this configuration.
  const kernel = snap.fw4Table ?? null;
  const differences = rulesetDifferences(rendered, kernel);
  report.firewall = {
    loaded: kernel !== null && differences.length === 0,
    present: kernel !== null,
    flowtable: snap.ruleset.flowtables.some((f) => f.family === 'inet' && f.table === 'fw4'),
    nftErrors: applied.output.nftErrors,
    differences, rendered, kernel,
  };
  if (s.offload !== 'none' || s.expect.offload?.missingModules || s.expect.hostKernel) {
    report.offload.missing = await missingOffloadModules(dut.shell, platform.packageManager, platform.offloadPackage);
  }
  await target.afterConfigure?.(dut, report);
  if (applied.output.nftErrors.length) report.offload.kernelError = applied.output.nftErrors.join('\n');
  else if (s.offload === 'hw' && report.offload.effective !== 'hw') {
    const refusal = await hwOffloadRefusal(dut.shell, platform, [platform.devices.lan, ...extraLanDevices, platform.devices.wan]);
    report.offload.kernelError = refusal.error;
    report.offload.refusals = refusal.byDevice;
  }
  if (report.offload.hwInserts) report.offload.hwInserts.before = await hwInsertCount(dut.shell);
  return { ruleset: snap.ruleset, ...(s.sqm && { sqmDevices: await platform.applySqm(dut.shell, s.sqm) }) };
}
