import { linesOf, type ForwardLogLine } from '../probes/forward-log.js';
import type { FlowReport } from './flows.js';

export interface FlowLog {
  lines: number;
  /** Lines after the stream was first seen offloaded, its closing FIN/RST packets and what follows them left out. */
  linesWhileOffloaded: number | null;
  /** Lines per second of the stream's traffic. */
  linesPerSecond: number;
}

/** Each data stream's forward-chain log lines, from the kernel log. */
export function flowLog(flow: FlowReport, durationMs: number, startedAtMs: number, lines: ForwardLogLine[]): FlowLog {
  const mine = linesOf(lines, flow.proto, flow.orig);
  const firstClose = mine.find((l) => l.closing)?.tMs ?? Infinity;
  const open = mine.filter((l) => l.tMs < firstClose);
  const offAt = flow.firstOffloadMs === null ? null : startedAtMs + flow.firstOffloadMs;
  return {
    lines: mine.length,
    linesWhileOffloaded: offAt === null ? null : open.filter((l) => l.tMs > offAt).length,
    linesPerSecond: Math.round((open.length / Math.max(durationMs, 1)) * 1000 * 10) / 10,
  };
}
