import { UserError } from '../util/errors.js';

export interface Shard {
  index: number; // 1-based, as CI matrices number jobs
  count: number;
}

/** "2/4" to { index: 2, count: 4 }; anything else is a usage error. */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || index < 1 || index > count) throw new UserError(`--shard must be I/N with 1 <= I <= N (e.g. 1/4), not "${text}"`);
  return { index, count };
}

/**
 * The scenarios of one shard: sorted by name (not by the order of the command line, which CI
 * jobs might spell differently), dealt round-robin. Every scenario lands in exactly one shard
 * for the same set of names, whatever the machine.
 */
export function selectShard<T extends { name: string }>(items: T[], shard: Shard): T[] {
  const sorted = [...items].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const chosen = new Set(sorted.filter((_, i) => i % shard.count === shard.index - 1));
  return items.filter((x) => chosen.has(x));
}
