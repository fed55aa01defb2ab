/** What a device's root qdisc (and its children) counted: the shaper's view of the traffic. */
export interface QdiscStats {
  dev: string;
  kind: string;
  bytes: number;
  packets: number;
  drops: number;
  /** ECN marks: fq_codel's ecn_mark (leaves included), cake's per tin. */
  marks: number;
  overlimits: number;
}

type J = Record<string, any>;
const n = (v: unknown) => (typeof v === 'number' ? v : 0);

/**
 * `tc -s -j qdisc show`: one record per device with a root qdisc. A classful root's
 * drops already include its leaves'; marks are counted where the AQM keeps them.
 */
export function parseQdiscs(json: string): QdiscStats[] {
  const all = JSON.parse(json) as J[];
  if (!Array.isArray(all)) throw new Error('tc -j qdisc: not a list');
  return all
    .filter((q) => q.root === true)
    .map((root) => {
      const tree = all.filter((q) => q.dev === root.dev && q.kind !== 'ingress' && q.kind !== 'clsact');
      const marks = tree.reduce((a, q) => a + n(q.ecn_mark) + (Array.isArray(q.tins) ? q.tins.reduce((b: number, t: J) => b + n(t.ecn_mark), 0) : 0), 0);
      return { dev: String(root.dev), kind: String(root.kind), bytes: n(root.bytes), packets: n(root.packets), drops: n(root.drops), marks, overlimits: n(root.overlimits) };
    });
}

/** Counters between two readings of the same device (a re-created qdisc restarts from zero). */
export function qdiscDelta(before: QdiscStats | undefined, after: QdiscStats): QdiscStats {
  if (!before || before.kind !== after.kind || after.bytes < before.bytes) return after;
  return {
    ...after,
    bytes: after.bytes - before.bytes,
    packets: after.packets - before.packets,
    drops: after.drops - before.drops,
    marks: after.marks - before.marks,
    overlimits: after.overlimits - before.overlimits,
  };
}
