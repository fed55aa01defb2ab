import type { Shell } from '../targets/types.js';

/** Conntrack's counts for the flood, counted on the DUT: 10,000 entries are too many to ship each sample. */
export interface FloodCounts {
  tMs: number;
  /** All conntrack entries (nf_conntrack_count) and the table's size. */
  conntrack: number;
  conntrackMax: number;
  /** Entries of the flood's flows, and those of them in the flowtable ([OFFLOAD] or [HW_OFFLOAD]). */
  tracked: number;
  offloaded: number;
}

export function floodCountsCommand(port: number): string {
  const c = '/proc/net/nf_conntrack';
  // One read of the table for both counts: reads of /proc/net/nf_conntrack are not atomic.
  return `cat /proc/sys/net/netfilter/nf_conntrack_count /proc/sys/net/netfilter/nf_conntrack_max; grep ' dport=${port} ' ${c} > /tmp/.hil-flood; grep -c . /tmp/.hil-flood; grep -c 'OFFLOAD\\]' /tmp/.hil-flood`;
}

/** Four numbers, one a line; grep -c prints 0 (and exits 1) when nothing matches. */
export function parseFloodCounts(out: string, tMs: number): FloodCounts {
  const n = out.trim().split('\n').map((l) => Number(l.trim()));
  if (n.length !== 4 || n.some((x) => !Number.isInteger(x))) throw new Error(`flood counts: unexpected output ${JSON.stringify(out.slice(0, 200))}`);
  return { tMs: Math.round(tMs), conntrack: n[0]!, conntrackMax: n[1]!, tracked: n[2]!, offloaded: n[3]! };
}

/** Stamped when the read starts: under load the DUT takes seconds to grep 10,000 entries. */
export async function readFloodCounts(shell: Shell, port: number, tMs: () => number): Promise<FloodCounts> {
  const t = tMs();
  const r = await shell.run(floodCountsCommand(port), { fold: (x) => `flood count: ${x.stdout.trim().split('\n').join(' ')} (tracked, max, the flood's, offloaded)` });
  return parseFloodCounts(r.stdout, t);
}
