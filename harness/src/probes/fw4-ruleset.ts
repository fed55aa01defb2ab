import type { Shell } from '../targets/types.js';
import { parseFlowtableFlags } from './nft.js';

/** What makes two versions of table inet fw4 the same firewall, for the harness's purpose. */
export interface RulesetSummary {
  /** Rules per chain. */
  chains: Record<string, number>;
  /** Named sets and maps. */
  sets: string[];
  flowtables: Record<string, { hook: string; priority: number; devices: string[]; offload: boolean; counter: boolean }>;
  /** Kernel side only: the `flow add @ft` rule of the forward chain, where it is and what it matches. */
  offloadRule?: { chain: string; index: number; match: string; flowtable: string } | null;
  /** Kernel side only: where masquerading applies (output devices, and the family when it is limited to one). */
  masquerade?: { devices: string[]; family: string }[];
}

const PRIORITIES: Record<string, number> = { raw: -300, mangle: -150, dstnat: -100, filter: 0, security: 50, srcnat: 100 };
const priority = (p: string) => PRIORITIES[p] ?? Number(p);
const unquote = (s: string) => s.trim().replace(/^"(.*)"$/, '$1');

const net = (line: string) => (line.match(/\{/g)?.length ?? 0) - (line.match(/\}/g)?.length ?? 0);

/**
 * The ruleset fw4 renders (`fw4 print`, includes already expanded): the last `table inet
 * fw4 { ... }` block, rule lines counted per chain. fw4 writes one rule per line.
 */
export function summarizeRendered(text: string): RulesetSummary {
  const out: RulesetSummary = { chains: {}, sets: [], flowtables: {} };
  const lines = text.split('\n');
  const start = lines.map((l) => /^table inet fw4 \{/.test(l.trim())).lastIndexOf(true);
  if (start < 0) return out;
  let depth = 1;
  let block: { kind: string; name: string } | undefined;
  for (const raw of lines.slice(start + 1)) {
    const line = raw.replace(/\s+#.*$/, '').trim();
    if (!line || line.startsWith('#')) continue;
    const before = depth;
    depth += net(line);
    if (depth <= 0) break;
    if (before === 1) {
      const m = /^(chain|flowtable|set|map) (\S+) \{/.exec(line);
      block = m ? { kind: m[1]!, name: m[2]! } : undefined;
      if (block?.kind === 'chain') out.chains[block.name] = 0;
      if (block?.kind === 'set' || block?.kind === 'map') out.sets.push(block.name);
      if (block?.kind === 'flowtable') out.flowtables[block.name] = { hook: '', priority: 0, devices: [], offload: false, counter: false };
      continue;
    }
    if (before !== 2 || !block || line === '}') continue;
    if (block.kind === 'chain') {
      if (/^(type|policy|comment) /.test(line)) continue;
      out.chains[block.name]!++;
    } else if (block.kind === 'flowtable') {
      const ft = out.flowtables[block.name]!;
      const hook = /^hook (\S+) priority ([^;]+);/.exec(line);
      if (hook) Object.assign(ft, { hook: hook[1], priority: priority(hook[2]!.trim()) });
      const dev = /^devices = \{([^}]*)\}/.exec(line);
      if (dev) ft.devices = dev[1]!.split(',').map(unquote).filter(Boolean).sort();
      if (/^counter;?$/.test(line)) ft.counter = true;
      if (/^flags .*\boffload\b/.test(line)) ft.offload = true;
    }
  }
  return out;
}

type Obj = Record<string, unknown>;

const L4: Record<string, string> = { 6: 'tcp', 17: 'udp', 1: 'icmp', 58: 'ipv6-icmp' };
const value = (v: unknown): string =>
  v && typeof v === 'object' && 'set' in (v as Obj) ? `{ ${((v as Obj).set as unknown[]).map(value).join(', ')} }` : Array.isArray(v) ? `{ ${v.map(value).join(', ')} }` : String(v);

/** A match expression in words, as nft lists it; protocol numbers (nft 1.0.6 lists them so) as names. */
function describeMatch(m: Obj): { key: string; text: string; values: string[] } {
  const left = m.left as Obj;
  const key = left.meta ? `meta ${String((left.meta as Obj).key)}` : left.ct ? `ct ${String((left.ct as Obj).key)}` : JSON.stringify(left);
  const raw = (m.right && typeof m.right === 'object' && 'set' in (m.right as Obj) ? (m.right as Obj).set : m.right) as unknown;
  const values = (Array.isArray(raw) ? raw : [raw]).map((x) => (key === 'meta l4proto' ? L4[String(x)] ?? String(x) : value(x)));
  return { key, text: `${key} ${values.length > 1 ? `{ ${values.join(', ')} }` : values[0]}`, values };
}

/** `nft -j list table inet fw4` and `nft list flowtables` (flags are only in the text). */
export function summarizeKernel(json: string, flowtablesText: string): RulesetSummary | null {
  const out: RulesetSummary = { chains: {}, sets: [], flowtables: {} };
  const items = (JSON.parse(json) as { nftables?: Obj[] }).nftables ?? [];
  const ours = (o: Obj) => o.family === 'inet' && o.table === 'fw4';
  if (!items.some((i) => i.table && (i.table as Obj).family === 'inet' && (i.table as Obj).name === 'fw4')) return null;
  const flags = parseFlowtableFlags(flowtablesText);
  const rules: { chain: string; expr: Obj[] }[] = [];
  for (const i of items) {
    if (i.rule && ours(i.rule as Obj)) rules.push({ chain: String((i.rule as Obj).chain), expr: ((i.rule as Obj).expr as Obj[]) ?? [] });
  }
  const matches = (expr: Obj[]) => expr.filter((e) => e.match).map((e) => describeMatch(e.match as Obj));
  const forward = rules.filter((r) => r.chain === 'forward');
  const fi = forward.findIndex((r) => r.expr.some((e) => e.flow));
  out.offloadRule = fi < 0 ? null : {
    chain: 'forward', index: fi, match: matches(forward[fi]!.expr).map((m) => m.text).join(' '),
    flowtable: String(((forward[fi]!.expr.find((e) => e.flow)!.flow as Obj).flowtable)).replace(/^@/, ''),
  };
  // A masquerade rule's own oifname match, or that of the rules jumping to its chain (fw4: srcnat -> srcnat_wan).
  out.masquerade = rules.filter((r) => r.expr.some((e) => 'masquerade' in e)).map((r) => {
    const own = matches(r.expr);
    const via = rules.filter((j) => j.expr.some((e) => (e.jump as Obj | undefined)?.target === r.chain)).flatMap((j) => matches(j.expr));
    const devices = [...own, ...via].filter((m) => m.key === 'meta oifname').flatMap((m) => m.values);
    const family = own.find((m) => m.key === 'meta nfproto')?.values.join(', ') ?? 'any';
    return { devices: devices.sort(), family };
  });
  for (const i of items) {
    const c = (i.chain ?? i.rule ?? i.set ?? i.map ?? i.flowtable) as Obj | undefined;
    if (!c || !ours(c)) continue;
    if (i.chain) out.chains[String(c.name)] ??= 0;
    else if (i.rule) out.chains[String(c.chain)] = (out.chains[String(c.chain)] ?? 0) + 1;
    else if (i.set || i.map) out.sets.push(String(c.name));
    else {
      const f = flags.get(`inet fw4 ${String(c.name)}`) ?? [];
      const dev = Array.isArray(c.dev) ? c.dev.map(String) : c.dev === undefined ? [] : [String(c.dev)];
      out.flowtables[String(c.name)] = { hook: String(c.hook), priority: Number(c.prio), devices: dev.sort(), offload: f.includes('offload'), counter: f.includes('counter') };
    }
  }
  return out;
}

const describeFt = (f: RulesetSummary['flowtables'][string]) =>
  `hook ${f.hook} priority ${f.priority}, devices ${f.devices.join(', ') || '-'}${f.counter ? ', counter' : ''}${f.offload ? ', flags offload' : ''}`;

/** Each way the kernel's table differs from the rendered one, in words; empty when it holds it. */
export function rulesetDifferences(rendered: RulesetSummary, kernel: RulesetSummary | null): string[] {
  if (!kernel) return ['the kernel has no table inet fw4'];
  const out: string[] = [];
  for (const name of new Set([...Object.keys(rendered.flowtables), ...Object.keys(kernel.flowtables)])) {
    const r = rendered.flowtables[name];
    const k = kernel.flowtables[name];
    const a = r ? describeFt(r) : 'none';
    const b = k ? describeFt(k) : 'none';
    if (a !== b) out.push(`flowtable ${name}: rendered ${a}; kernel ${b}`);
  }
  for (const name of new Set([...Object.keys(rendered.chains), ...Object.keys(kernel.chains)])) {
    const r = rendered.chains[name];
    const k = kernel.chains[name];
    if (r !== k) out.push(`chain ${name}: rendered ${r === undefined ? 'no such chain' : `${r} rules`}; kernel ${k === undefined ? 'no such chain' : `${k} rules`}`);
  }
  const rs = [...rendered.sets].sort().join(', ');
  const ks = [...kernel.sets].sort().join(', ');
  if (rs !== ks) out.push(`sets: rendered ${rs || 'none'}; kernel ${ks || 'none'}`);
  return out;
}

/**
 * What fw4 renders for the configuration now committed (`fw4 print`; its warning on stderr
 * is dropped here), with nftables includes expanded from the DUT's files, since the
 * kernel holds their rules, not the include line.
 */
export async function renderFw4(shell: Shell, fw4: string): Promise<string> {
  const r = await shell.run(`${fw4} print 2>/dev/null | awk '/^[ \\t]*include "/ { f = $0; sub(/^[ \\t]*include "/, "", f); sub(/".*$/, "", f); while ((getline l < f) > 0) print l; close(f); next } { print }'`);
  if (r.exitCode !== 0) throw new Error(`${fw4} print failed (exit ${r.exitCode}): ${r.stderr.trim()}`);
  return r.stdout;
}
