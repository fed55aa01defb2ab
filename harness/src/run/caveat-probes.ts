import { flowLog } from '../expect/forward-log.js';
import type { FlowReport } from '../expect/flows.js';
import type { Platform } from '../platforms/types.js';
import { parseForwardLog, TRAFFIC_MARK } from '../probes/forward-log.js';
import type { KernelLogLine } from '../probes/kernel-log.js';
import { parseQdiscs, qdiscDelta, type QdiscStats } from '../probes/qdisc.js';
import type { ScenarioReport, TimelinePoint } from '../report/types.js';
import { mustRun, type Shell } from '../targets/types.js';
import type { TrafficRun } from '../traffic/iperf3.js';

/** Root qdiscs by device. */
export const byDevice = (qdiscs: QdiscStats[]): Map<string, QdiscStats> => new Map(qdiscs.map((q) => [q.dev, q]));

/** Root qdiscs by device: the shapers' counters. */
export async function readQdiscs(shell: Shell, platform: Platform): Promise<Map<string, QdiscStats>> {
  return byDevice(parseQdiscs(await mustRun(shell, `${platform.bin.tc} -s -j qdisc show`)));
}

export function qdiscDeltas(before: Map<string, QdiscStats>, after: Map<string, QdiscStats>): Map<string, QdiscStats> {
  return new Map([...after].map(([dev, q]) => [dev, qdiscDelta(before.get(dev), q)]));
}

/** Kernel log times become run times from this line on (see parseForwardLog). */
export async function markTrafficStart(shell: Shell): Promise<void> {
  await mustRun(shell, `echo '${TRAFFIC_MARK}' > /dev/kmsg`);
}

/**
 * Each data stream's forward-chain log lines, and the running count on the timeline.
 * An error (the mark rotated out of the ring buffer) is reported, never taken as zero lines.
 */
export function forwardLogs(flows: FlowReport[], runs: TrafficRun[], kernelLog: KernelLogLine[], timeline: TimelinePoint[]): ScenarioReport['forwardLog'] {
  const lines = parseForwardLog(kernelLog);
  if (!lines) return { error: `the traffic mark ("${TRAFFIC_MARK}") is not in the kernel log: it rotated out, so lines were lost` };
  for (const p of timeline) p.forwardLogLines = lines.filter((l) => l.tMs <= p.tMs).length;
  return flows.map((f) => {
    const run = runs[f.traffic]!;
    return { orig: `${f.proto} ${f.orig.src}:${f.orig.sport} -> ${f.orig.dst}:${f.orig.dport}`, ...flowLog(f, run.endedAtMs - run.startedAtMs, run.startedAtMs, lines) };
  });
}
