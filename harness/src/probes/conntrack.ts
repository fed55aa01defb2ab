import type { OffloadMode } from '../scenario/schema.js';

export interface Tuple {
  src: string;
  dst: string;
  sport: number;
  dport: number;
}

export interface CtEntry {
  family: 'ipv4' | 'ipv6';
  proto: string;
  orig: Tuple;
  reply: Tuple;
  /** none, sw ([OFFLOAD]) or hw ([HW_OFFLOAD]). */
  state: OffloadMode;
  /** TCP state word when the kernel prints one (offloaded entries print none). */
  tcpState?: string;
  /** Seconds; offloaded entries print none. */
  timeout?: number;
  flags: string[];
  packets: { orig?: number; reply?: number };
  bytes: { orig?: number; reply?: number };
}

/** RFC 5952 form, so /proc's zero-padded IPv6 and conntrack -L's compressed form compare equal. */
export function normalizeIp(addr: string): string {
  if (!addr.includes(':')) return addr;
  try {
    return new URL(`http://[${addr}]/`).hostname.slice(1, -1);
  } catch {
    return addr.toLowerCase();
  }
}

/**
 * One line of /proc/net/nf_conntrack ("ipv4 2 tcp 6 ...") or of `conntrack -L`
 * ("tcp 6 ..."). Returns undefined for lines that are not an entry.
 */
export function parseCtLine(line: string): CtEntry | undefined {
  const tok = line.trim().split(/\s+/);
  if (tok.length < 6) return undefined;
  let i = 0;
  let family: 'ipv4' | 'ipv6' | undefined;
  if (tok[0] === 'ipv4' || tok[0] === 'ipv6') {
    family = tok[0];
    i = 2;
  }
  const proto = tok[i];
  if (!proto || !/^\d+$/.test(tok[i + 1] ?? '')) return undefined;
  i += 2;
  let timeout: number | undefined;
  let tcpState: string | undefined;
  if (/^\d+$/.test(tok[i] ?? '')) timeout = Number(tok[i++]);
  if (/^[A-Z_]+$/.test(tok[i] ?? '')) tcpState = tok[i++];
  const groups: Record<string, string>[] = [];
  const flags: string[] = [];
  for (; i < tok.length; i++) {
    const t = tok[i]!;
    const fl = /^\[(\w+)\]$/.exec(t);
    if (fl) {
      flags.push(fl[1]!);
      continue;
    }
    const eq = t.indexOf('=');
    if (eq <= 0) continue;
    const k = t.slice(0, eq);
    const v = t.slice(eq + 1);
    if (k === 'src') groups.push({});
    const g = groups[groups.length - 1];
    if (g && !(k in g)) g[k] = v;
  }
  const [o, r] = groups;
  if (!o || !r || o.sport === undefined) return undefined;
  const tuple = (g: Record<string, string>): Tuple => ({
    src: normalizeIp(g.src ?? ''),
    dst: normalizeIp(g.dst ?? ''),
    sport: Number(g.sport),
    dport: Number(g.dport),
  });
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  return {
    family: family ?? ((o.src ?? '').includes(':') ? 'ipv6' : 'ipv4'),
    proto,
    orig: tuple(o),
    reply: tuple(r),
    state: flags.includes('HW_OFFLOAD') ? 'hw' : flags.includes('OFFLOAD') ? 'sw' : 'none',
    tcpState,
    timeout,
    flags,
    packets: { orig: num(o.packets), reply: num(r.packets) },
    bytes: { orig: num(o.bytes), reply: num(r.bytes) },
  };
}

export function parseConntrack(text: string): CtEntry[] {
  return text.split('\n').flatMap((l) => {
    const e = parseCtLine(l);
    return e ? [e] : [];
  });
}

export function tupleEquals(a: Tuple, b: Tuple): boolean {
  return a.src === b.src && a.dst === b.dst && a.sport === b.sport && a.dport === b.dport;
}
