/** One echo request: when it was answered (or given up on) and its round trip; null rtt is a loss. */
export interface PingSample {
  /** Unix time in ms of ping's -D timestamp: the reply's arrival, or when ping gave up waiting. */
  atMs: number;
  seq: number;
  rttMs: number | null;
}

const REPLY = /^\[(\d+\.\d+)\] \d+ bytes from \S+: icmp_seq=(\d+) ttl=\d+ time=([\d.]+) ms/;
const LOST = /^\[(\d+\.\d+)\] no answer yet for icmp_seq=(\d+)/;

/** iputils ping -n -D -O output, line by line (it streams while the probe runs). */
export function parsePingLine(line: string): PingSample | undefined {
  let m = REPLY.exec(line);
  if (m) return { atMs: Number(m[1]) * 1000, seq: Number(m[2]), rttMs: Number(m[3]) };
  m = LOST.exec(line);
  if (m) return { atMs: Number(m[1]) * 1000, seq: Number(m[2]), rttMs: null };
  return undefined;
}

/**
 * One sample per request. With -O, ping says "no answer yet" as soon as the next request
 * goes out, and a late reply still arrives after that: only a request never answered is lost.
 */
export function parsePing(text: string): PingSample[] {
  const bySeq = new Map<number, PingSample>();
  for (const s of text.split('\n').flatMap((l) => parsePingLine(l) ?? [])) {
    const seen = bySeq.get(s.seq);
    if (!seen || (seen.rttMs === null && s.rttMs !== null)) bySeq.set(s.seq, s);
  }
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}

/** Nearest-rank percentile; null for no data. */
export function percentile(values: number[], p: number): number | null {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
