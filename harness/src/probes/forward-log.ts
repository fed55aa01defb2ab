import { normalizeIp, type Tuple } from './conntrack.js';
import type { KernelLogLine } from './kernel-log.js';

export const FORWARD_LOG_PREFIX = 'hil-fwd: ';
/** Written to /dev/kmsg when the traffic starts: kernel log times become run times. */
export const TRAFFIC_MARK = 'hil: traffic starts';

export interface ForwardLogLine {
  /** Milliseconds after the traffic began. */
  tMs: number;
  proto: string;
  src: string;
  dst: string;
  sport: number;
  dport: number;
  /** A TCP FIN or RST: the flowtable hands a closing flow back to the slow path. */
  closing: boolean;
}

const field = (text: string, k: string) => new RegExp(`(?:^| )${k}=(\\S*)`).exec(text)?.[1];

/**
 * nf_log's lines for the forward chain's `log prefix "hil-fwd: "` rule, timed against the
 * traffic mark. null when the mark is not in the log (it rotated out, or was never written).
 */
export function parseForwardLog(lines: KernelLogLine[]): ForwardLogLine[] | null {
  const mark = lines.find((l) => l.text === TRAFFIC_MARK && l.time !== undefined);
  if (!mark) return null;
  return lines.flatMap((l) => {
    if (l.time === undefined || !l.text.startsWith(FORWARD_LOG_PREFIX)) return [];
    const t = l.text;
    const [src, dst, proto, sport, dport] = ['SRC', 'DST', 'PROTO', 'SPT', 'DPT'].map((k) => field(t, k));
    if (!src || !dst || !proto || !sport || !dport) return [];
    return [{
      tMs: Math.round((l.time - mark.time!) * 1000),
      proto: proto.toLowerCase(),
      src: normalizeIp(src),
      dst: normalizeIp(dst),
      sport: Number(sport),
      dport: Number(dport),
      closing: / (FIN|RST) /.test(t),
    }];
  });
}

/** A stream's lines in either direction (replies are logged after de-NAT, so both ends are the original tuple's). */
export function linesOf(lines: ForwardLogLine[], proto: string, t: Tuple): ForwardLogLine[] {
  return lines.filter(
    (l) => l.proto === proto &&
      ((l.src === t.src && l.sport === t.sport && l.dst === t.dst && l.dport === t.dport) ||
        (l.src === t.dst && l.sport === t.dport && l.dst === t.src && l.dport === t.sport)),
  );
}
