import { tupleEquals, type CtEntry } from '../probes/conntrack.js';
import type { TrafficRun } from '../traffic/iperf3.js';
import type { FlowReport } from './flows.js';

export interface AccountingReport {
  /** nf_conntrack_acct as the DUT had it, and whether the flowtable had `counter`. */
  acct: boolean;
  flowtableCounter: boolean;
  /** What iperf3's senders sent (payload), all data streams. */
  iperf3Bytes: number;
  /** Conntrack's bytes for the same streams, both directions, headers included, read after the traffic. */
  ctBytes: number;
  /** ctBytes / iperf3Bytes; TCP's headers and ACKs put a fully counted flow a few percent above 1. */
  fraction: number | null;
  perFlow: { orig: string; state: string; ctBytes: number }[];
}

/**
 * Each stream's conntrack entry after the traffic (a closed TCP flow waits in TIME_WAIT with
 * its final counters), else its last entry seen during the run.
 */
export function accounting(flows: FlowReport[], runs: TrafficRun[], after: CtEntry[], acct: boolean, flowtableCounter: boolean): AccountingReport {
  const perFlow = flows.map((f) => {
    const e = after.find((c) => c.proto === f.proto && tupleEquals(c.orig, f.orig));
    const ctBytes = e ? (e.bytes.orig ?? 0) + (e.bytes.reply ?? 0) : f.bytes;
    return { orig: `${f.proto} ${f.orig.src}:${f.orig.sport} -> ${f.orig.dst}:${f.orig.dport}`, state: f.state, ctBytes };
  });
  const iperf3Bytes = runs.reduce((a, r) => a + r.client.bytesSent, 0);
  const ctBytes = perFlow.reduce((a, f) => a + f.ctBytes, 0);
  return { acct, flowtableCounter, iperf3Bytes, ctBytes, fraction: iperf3Bytes > 0 ? Math.round((ctBytes / iperf3Bytes) * 1000) / 1000 : null, perFlow };
}
