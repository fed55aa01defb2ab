import type { OffloadMode } from '../scenario/schema.js';

export interface Flowtable {
  family: string;
  table: string;
  name: string;
  devices: string[];
  flags: string[];
}

export interface RuleCounter {
  family: string;
  table: string;
  chain: string;
  handle: number;
  comment?: string;
  packets: number;
  bytes: number;
}

export interface Ruleset {
  tables: { family: string; name: string }[];
  flowtables: Flowtable[];
  /** "family table chain" -> flowtables named by `flow add @x` rules in that chain. */
  flowRules: { family: string; table: string; chain: string; flowtable: string }[];
  counters: RuleCounter[];
}

type Obj = Record<string, unknown>;
const asArray = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : v === undefined ? [] : [String(v)]);

function* walk(v: unknown): Generator<Obj> {
  if (Array.isArray(v)) for (const x of v) yield* walk(x);
  else if (v && typeof v === 'object') {
    yield v as Obj;
    for (const x of Object.values(v)) yield* walk(x);
  }
}

/** `nft -j list ruleset` (or `list flowtables`) output. */
export function parseNftJson(text: string): Ruleset {
  const doc = JSON.parse(text) as { nftables?: Obj[] };
  const out: Ruleset = { tables: [], flowtables: [], flowRules: [], counters: [] };
  for (const item of doc.nftables ?? []) {
    if (item.table) {
      const t = item.table as Obj;
      out.tables.push({ family: String(t.family), name: String(t.name) });
    } else if (item.flowtable) {
      const f = item.flowtable as Obj;
      out.flowtables.push({
        family: String(f.family),
        table: String(f.table),
        name: String(f.name),
        devices: asArray(f.dev),
        flags: asArray(f.flags),
      });
    } else if (item.rule) {
      const r = item.rule as Obj;
      const base = { family: String(r.family), table: String(r.table), chain: String(r.chain) };
      for (const o of walk(r.expr)) {
        const flow = o.flow as Obj | undefined;
        if (flow && flow.op === 'add') out.flowRules.push({ ...base, flowtable: String(flow.flowtable).replace(/^@/, '') });
        const c = o.counter as Obj | undefined;
        if (c && typeof c.packets === 'number') {
          out.counters.push({
            ...base,
            handle: Number(r.handle),
            comment: typeof r.comment === 'string' ? r.comment : undefined,
            packets: c.packets,
            bytes: Number(c.bytes),
          });
        }
      }
    }
  }
  return out;
}

/**
 * The offload mode the kernel will really apply: a flowtable that a forward rule
 * feeds (`flow add @ft`), with `flags offload` for hardware. Never what was asked for.
 */
export function effectiveOffload(rs: Ruleset, table = 'fw4'): OffloadMode {
  const fed = rs.flowRules.filter((r) => r.table === table && r.chain === 'forward');
  const fts = rs.flowtables.filter((f) => f.table === table && fed.some((r) => r.flowtable === f.name));
  if (fts.length === 0) return 'none';
  return fts.some((f) => f.flags.includes('offload')) ? 'hw' : 'sw';
}

/**
 * Flowtable flags from `nft list flowtables` (text): nft 1.0.6's JSON leaves them out, so
 * `flags offload` (and `counter`, kept as the flag "counter") are only visible here.
 */
export function parseFlowtableFlags(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let table = '';
  let ft = '';
  for (const line of text.split('\n')) {
    const t = /^table (\S+) (\S+) \{/.exec(line);
    if (t) table = `${t[1]} ${t[2]}`;
    const f = /^\s+flowtable (\S+) \{/.exec(line);
    if (f) {
      ft = `${table} ${f[1]}`;
      out.set(ft, []);
    }
    const fl = /^\s+flags (.+?);?\s*$/.exec(line);
    if (fl && ft) out.get(ft)!.push(...fl[1]!.split(/[\s,]+/).filter(Boolean));
    // The `counter` statement is no flag to the kernel's netlink, but listed as one here: it says conntrack sees offloaded bytes.
    if (ft && /^\s+counter;?\s*$/.test(line)) out.get(ft)!.push('counter');
    if (/^\s{1}\}$/.test(line)) ft = '';
  }
  return out;
}

/** Adds what the text listing knows (flags) to the flowtables parsed from JSON. */
export function withFlowtableFlags(rs: Ruleset, flags: Map<string, string[]>): Ruleset {
  for (const f of rs.flowtables) {
    const extra = flags.get(`${f.family} ${f.table} ${f.name}`) ?? [];
    f.flags = [...new Set([...f.flags, ...extra])];
  }
  return rs;
}
