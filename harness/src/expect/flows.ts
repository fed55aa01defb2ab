import { tupleEquals, type CtEntry, type Tuple } from '../probes/conntrack.js';
import type { Snapshot } from '../probes/snapshot.js';
import type { OffloadMode } from '../scenario/schema.js';
import type { TrafficRun } from '../traffic/iperf3.js';
import { streamTuple } from '../traffic/iperf3-parse.js';

export interface FlowObservation {
  tMs: number;
  state: OffloadMode;
}

export interface FlowReport {
  traffic: number;
  proto: 'tcp' | 'udp';
  family: 'ipv4' | 'ipv6';
  orig: Tuple;
  /** From the kernel's entry: through NAT it carries the masqueraded address. */
  reply: Tuple | null;
  /** The state last seen while the stream ran; "none" when never found. */
  state: OffloadMode;
  matched: boolean;
  /** First time the stream was seen offloaded (sw or hw), ms after traffic began. */
  firstOffloadMs: number | null;
  packets: number;
  bytes: number;
  observations: FlowObservation[];
  /** Conntrack samples asked for and back while the stream ran, found or not: 0 means it was never looked for. */
  samplesWhileRunning: number;
}

// Entries in these states belong to a closing connection: the flowtable hands a TCP
// flow back to the slow path on FIN/RST, so they say nothing about the running stream.
export const CLOSING = new Set(['FIN_WAIT', 'CLOSE_WAIT', 'LAST_ACK', 'TIME_WAIT', 'CLOSE']);

/**
 * Each iperf3 data stream (never its control connection) matched to conntrack through
 * its original tuple, which is what the LAN client opened, NAT or not.
 */
export function matchFlows(runs: TrafficRun[], samples: Snapshot[]): FlowReport[] {
  const out: FlowReport[] = [];
  runs.forEach((run, ti) => {
    // The data stopped at iperf3's last report (seconds since its test began, which is after
    // the client started): a sample asked later sees the close, not the stream. Seen on 6.12,
    // a download's end: the close had torn the flow out of the flowtable, and conntrack showed
    // it ESTABLISHED (9 s left) without [OFFLOAD], about 90 ms after the data stopped.
    const lastReportS = run.client.intervals[run.client.intervals.length - 1]?.endS;
    const dataEndMs = Math.min(run.endedAtMs, run.startedAtMs + (lastReportS ?? run.spec.duration) * 1000);
    for (const s of run.client.streams) {
      const orig = streamTuple(s);
      const observations: FlowObservation[] = [];
      let last: CtEntry | undefined;
      let looked = 0;
      for (const snap of samples) {
        // A sample counts if it overlapped the stream: asked before its data ended (back
        // later on a loaded DUT: 6.12's engine run, a full sample asked 1 s before a TCP stream
        // ended came back 1.1 s after it, with the stream [HW_OFFLOAD]) and back after it began.
        if (snap.tMs < run.startedAtMs || (snap.startMs ?? snap.tMs) > dataEndMs) continue;
        // Looked for it only if asked once the stream had begun: a sample asked for before
        // (back only later, on a loaded DUT) may have read conntrack before the stream existed.
        if ((snap.startMs ?? snap.tMs) >= run.startedAtMs) looked++;
        const e = snap.conntrack.find((c) => c.proto === run.spec.proto && tupleEquals(c.orig, orig));
        if (!e || (e.tcpState && CLOSING.has(e.tcpState))) continue;
        observations.push({ tMs: Math.round(snap.tMs), state: e.state });
        last = e;
      }
      const lastObs = observations[observations.length - 1];
      const firstOff = observations.find((o) => o.state !== 'none');
      out.push({
        traffic: ti,
        proto: run.spec.proto,
        family: run.spec.family,
        orig,
        reply: last?.reply ?? null,
        state: lastObs?.state ?? 'none',
        matched: observations.length > 0,
        firstOffloadMs: firstOff ? Math.round(firstOff.tMs - run.startedAtMs) : null,
        packets: (last?.packets.orig ?? 0) + (last?.packets.reply ?? 0),
        bytes: (last?.bytes.orig ?? 0) + (last?.bytes.reply ?? 0),
        observations,
        samplesWhileRunning: looked,
      });
    }
  });
  return out;
}
