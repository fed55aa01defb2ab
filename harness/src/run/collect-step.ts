import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { accounting } from '../expect/accounting.js';
import { evaluate } from '../expect/evaluate.js';
import { matchFlows } from '../expect/flows.js';
import { sqmDirections } from '../expect/sqm.js';
import type { Platform } from '../platforms/types.js';
import type { SqmDevices } from '../platforms/sqm.js';
import { readEngine } from '../probes/engine.js';
import { kernelTrouble, readKernelLog } from '../probes/kernel-log.js';
import { FORWARD_LOG_PREFIX, TRAFFIC_MARK } from '../probes/forward-log.js';
import { readPortCounters } from '../probes/port-counters.js';
import { qdiscDelta, type QdiscStats } from '../probes/qdisc.js';
import { takeSnapshot, type Sampler, type Snapshot } from '../probes/snapshot.js';
import { expectationsFor } from '../expect/for-kernel.js';
import type { ScenarioReport, TimelinePoint } from '../report/types.js';
import type { Ruleset } from '../probes/nft.js';
import type { Scenario } from '../scenario/schema.js';
import type { ConsoleDut } from '../targets/types.js';
import { checkLabFault } from './lab-fault.js';
import type { TrafficRun } from '../traffic/iperf3.js';
import { byDevice, forwardLogs, qdiscDeltas } from './caveat-probes.js';
import { floodAssertions } from './flood-step.js';
import { hwInsertCount } from '../probes/flow-block.js';
import { hardwareSummary } from '../expect/hardware.js';

export const FORWARD_COUNTER_COMMENT = 'hil: forward-chain counter';

/** The harness's forward-chain counter in a ruleset (firewall.forwardCounter), or null. */
export const forwardPackets = (r: Ruleset): number | null => r.counters.find((c) => c.comment === FORWARD_COUNTER_COMMENT)?.packets ?? null;

/** With SQM: the shaped devices and their counters before the traffic, to plot drops as they happen. */
interface ShaperBase {
  devices: string[];
  before: Map<string, QdiscStats>;
}

function timeline(samples: Snapshot[], shapers?: ShaperBase): TimelinePoint[] {
  return samples.map((s) => {
    const flows = { none: 0, sw: 0, hw: 0 };
    for (const e of s.conntrack) if (e.proto === 'tcp' || e.proto === 'udp') flows[e.state]++;
    const p: TimelinePoint = { tMs: Math.round(s.tMs), flows, forwardCounterPackets: forwardPackets(s.ruleset), flowtableDevices: s.ruleset.flowtables.reduce((a, f) => a + f.devices.length, 0) };
    if (shapers && s.qdiscs) {
      const now = byDevice(s.qdiscs);
      const d = shapers.devices.flatMap((dev) => (now.has(dev) ? [qdiscDelta(shapers.before.get(dev), now.get(dev)!)] : []));
      p.shaper = { bytes: d.reduce((a, q) => a + q.bytes, 0), drops: d.reduce((a, q) => a + q.drops, 0), marks: d.reduce((a, q) => a + q.marks, 0) };
    }
    return p;
  });
}

export interface CollectInput {
  s: Scenario;
  dut: ConsoleDut;
  platform: Platform;
  report: ScenarioReport;
  /** The scenario's report folder. */
  dir: string;
  t0: number;
  sampler: Sampler;
  runs: TrafficRun[];
  /** A warning for the run's output and the report. */
  warn: (text: string) => void;
  /** With SQM: the shaped devices and their counters before the traffic. */
  shaper?: { devices: SqmDevices; before: Map<string, QdiscStats> };
}

/**
 * After the traffic: the last reading of the DUT, everything the report derives from the
 * readings (timeline, flows, traffic, shaping, accounting, logs), and the verdicts.
 */
export async function collect(o: CollectInput): Promise<void> {
  const { s, dut, platform, report, runs, sampler } = o;
  const final = await takeSnapshot(dut.shell, platform, o.t0, Boolean(o.shaper), !s.flood);
  const shaperBase = o.shaper && { devices: [o.shaper.devices.egress, o.shaper.devices.ingress].filter((d): d is string => d !== null), before: o.shaper.before };
  report.timeline = timeline([...sampler.samples, final], shaperBase);
  report.flows = matchFlows(runs, sampler.samples);
  if (sampler.samples.length) report.sampling = sampler.stats();
  report.traffic = runs.map((r) => ({
    proto: r.spec.proto, family: r.spec.family, direction: r.spec.direction, streams: r.spec.streams,
    bitsPerSecond: Math.round(r.client.bitsPerSecond), bytes: Math.max(r.client.bytesReceived, r.client.bytesSent),
    error: r.client.error ?? null, end: r.end,
    intervals: r.client.intervals.map((i) => ({ tMs: Math.round(r.startedAtMs + i.endS * 1000), bitsPerSecond: i.bitsPerSecond })),
  }));
  if (s.sqm && o.shaper) {
    // The final snapshot read the qdiscs (it was asked for them, with a shaper).
    const shapers = qdiscDeltas(o.shaper.before, byDevice(final.qdiscs ?? []));
    report.sqm = { config: s.sqm, directions: sqmDirections(s.sqm, o.shaper.devices, report.traffic, shapers) };
  }
  const acct = (await dut.shell.run('cat /proc/sys/net/netfilter/nf_conntrack_acct')).stdout.trim() === '1';
  report.accounting = accounting(report.flows, runs, final.conntrack, acct, final.ruleset.flowtables.some((f) => f.flags.includes('counter')));
  if (platform.systemLog) {
    report.systemLog = join(o.dir, 'logread.txt');
    await writeFile(report.systemLog, await platform.systemLog(dut.shell));
  }
  if (s.dut.offloadEngine) report.engine = await readEngine(dut.shell, platform.devices.lan, s.expect.engine?.drainedWithinMs);
  if (report.board) report.board.portCounters = await readPortCounters(dut.shell, platform.bin.ethtool, [platform.devices.lan, platform.devices.wan]);
  const kernelLog = await readKernelLog(dut.shell, platform.bin.dmesg, s.firewall.forwardLog ? [TRAFFIC_MARK, FORWARD_LOG_PREFIX] : []);
  report.kernelLog.trouble = kernelTrouble(kernelLog.lines).map((l) => l.text);
  await checkLabFault(dut, report, o.warn);
  const unread = kernelLog.error && `the kernel log could not be read (${kernelLog.error})`;
  if (unread) {
    report.kernelLog.error = kernelLog.error!;
    o.warn(`${unread}: it is not judged`);
  }
  if (s.firewall.forwardLog) report.forwardLog = unread ? { error: unread } : forwardLogs(report.flows, runs, kernelLog.lines, report.timeline);
  const fwd = forwardPackets(final.ruleset);
  if (report.offload.hwInserts && report.offload.hwInserts.before !== null) {
    const after = await hwInsertCount(dut.shell);
    const during = after === null ? null : after - report.offload.hwInserts.before;
    const seconds = (report.steps.find((x) => x.name === 'traffic')?.durationMs ?? 0) / 1000;
    // Every flow in the software flowtable retries, iperf3's control connection too: the most seen at once.
    const flows = Math.max(0, ...report.timeline.map((p) => p.flows.sw));
    report.offload.hwInserts = { ...report.offload.hwInserts, during, perFlowPerSecond: during !== null && flows && seconds ? +(during / flows / seconds).toFixed(2) : null };
  }
  report.offload.summary = hardwareSummary(report);
  const expect = expectationsFor(s, report);
  report.assertions = evaluate(expect, { ...report, forwardCounterPackets: fwd });
  if (expect.flood) report.assertions.push(...floodAssertions(expect.flood, report.flood));
  // Unread, the log says nothing: no verdict rather than a clean one (the warning says why).
  if (!unread) report.assertions.push({
    name: 'kernel log clean',
    passed: report.kernelLog.trouble.length === 0,
    expected: 'no kernel warning, BUG, oops or transmit queue timeout',
    actual: report.kernelLog.trouble.length ? report.kernelLog.trouble.slice(0, 3).join(' | ') : 'clean',
  });
}
