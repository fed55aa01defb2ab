import { normalizeIp, type Tuple } from '../probes/conntrack.js';

export interface Iperf3Stream {
  /** As the socket sees it: local -> remote. */
  local: { host: string; port: number };
  remote: { host: string; port: number };
}

export interface Iperf3Result {
  protocol: 'tcp' | 'udp';
  streams: Iperf3Stream[];
  /** Bytes the sending side sent, and the receiving side received. */
  bytesSent: number;
  bytesReceived: number;
  bitsPerSecond: number;
  /** iperf3's per-second reports: seconds since its test began. */
  intervals: { startS: number; endS: number; bitsPerSecond: number }[];
  error?: string;
}

type J = Record<string, any>;

const readJson = (text: string): J | undefined => {
  try {
    return JSON.parse(text) as J;
  } catch {
    return undefined;
  }
};
const noJson = (text: string): Iperf3Result =>
  ({ protocol: 'tcp', streams: [], bytesSent: 0, bytesReceived: 0, bitsPerSecond: 0, intervals: [], error: `no JSON from iperf3: ${text.trim().slice(0, 200)}` });

/** iperf3 -J output (client or server). */
export function parseIperf3(text: string): Iperf3Result {
  const j = readJson(text);
  return j ? fromJson(j) : noJson(text);
}

function fromJson(j: J): Iperf3Result {
  const protocol = String(j.start?.test_start?.protocol ?? 'TCP').toLowerCase() === 'udp' ? 'udp' : 'tcp';
  const streams: Iperf3Stream[] = (j.start?.connected ?? []).map((c: J) => ({
    local: { host: normalizeIp(String(c.local_host)), port: Number(c.local_port) },
    remote: { host: normalizeIp(String(c.remote_host)), port: Number(c.remote_port) },
  }));
  const end = j.end ?? {};
  const sent = protocol === 'tcp' ? end.sum_sent : end.sum;
  const recv = protocol === 'tcp' ? end.sum_received : end.sum_received ?? end.sum;
  return {
    protocol,
    streams,
    bytesSent: Number(sent?.bytes ?? 0),
    bytesReceived: Number(recv?.bytes ?? 0),
    bitsPerSecond: Number(recv?.bits_per_second ?? sent?.bits_per_second ?? 0),
    intervals: (Array.isArray(j.intervals) ? j.intervals : []).flatMap((i: J) =>
      i.sum ? [{ startS: Number(i.sum.start), endS: Number(i.sum.end), bitsPerSecond: Math.round(Number(i.sum.bits_per_second)) }] : [],
    ),
    error: typeof j.error === 'string' ? j.error : undefined,
  };
}

/** The tuple the client opened, which is conntrack's original direction. */
export function streamTuple(s: Iperf3Stream): Tuple {
  return { src: s.local.host, dst: s.remote.host, sport: s.local.port, dport: s.remote.port };
}

/**
 * A test the harness ended early (SIGINT to the client, once the scenario's expectations were
 * decided): each side knows only its own half ("interrupt - the client has terminated" in
 * both), so the bytes sent come from the sender's JSON, those received from the receiver's,
 * and the rate from the client's elapsed time (the server's stops at its last whole interval).
 */
export function stoppedResult(clientText: string, serverText: string, direction: 'upload' | 'download'): Iperf3Result {
  const cj = readJson(clientText);
  if (!cj) return noJson(clientText);
  const client = fromJson(cj);
  if (!client.streams.length) return client;
  const sj = readJson(serverText);
  if (!sj) return { ...client, error: `iperf3 stopped early, but the server's JSON is unreadable: ${serverText.trim().slice(0, 200)}` };
  const [sender, receiver] = direction === 'upload' ? [cj, sj] : [sj, cj];
  const bytesSent = Number(sender.end?.sum_sent?.bytes ?? 0);
  const bytesReceived = Number(receiver.end?.sum_received?.bytes ?? 0);
  const seconds = Number(cj.end?.sum_sent?.seconds ?? cj.end?.sum_received?.seconds ?? 0);
  const { error: _ours, ...rest } = client;
  return { ...rest, bytesSent, bytesReceived, bitsPerSecond: seconds > 0 ? (bytesReceived * 8) / seconds : 0 };
}
