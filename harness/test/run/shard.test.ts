import { describe, expect, it } from 'vitest';
import { parseShard, selectShard } from '../../src/run/shard.js';

const names = (xs: { name: string }[]) => xs.map((x) => x.name);
const items = ['sw-offload', 'hw-offload', 'no-offload', 'udp-offload', 'ipv6-offload', 'hw-fallback', 'sqm-sw-offload'].map((name) => ({ name }));

describe('selectShard', () => {
  it('puts every scenario in exactly one shard', () => {
    for (const n of [1, 2, 3, 4, 7, 9]) {
      const all = Array.from({ length: n }, (_, i) => names(selectShard(items, { index: i + 1, count: n }))).flat();
      expect(all.sort()).toEqual(names(items).sort());
    }
  });

  it('does not depend on the order scenarios were given in', () => {
    const reversed = [...items].reverse();
    for (let i = 1; i <= 3; i++) {
      expect(names(selectShard(reversed, { index: i, count: 3 })).sort()).toEqual(names(selectShard(items, { index: i, count: 3 })).sort());
    }
  });

  it('deals sorted names round-robin, so shards differ in size by at most one', () => {
    expect(names(selectShard(items, { index: 1, count: 3 })).sort()).toEqual(['hw-fallback', 'no-offload', 'udp-offload']);
    expect(names(selectShard(items, { index: 3, count: 3 })).sort()).toEqual(['ipv6-offload', 'sw-offload']);
  });
});

describe('parseShard', () => {
  it('reads I/N', () => expect(parseShard('2/4')).toEqual({ index: 2, count: 4 }));
  it.each(['0/4', '5/4', '1/0', '1', 'a/b', '1/2/3', '-1/2'])('refuses %s', (t) => {
    expect(() => parseShard(t)).toThrow(/--shard must be I\/N/);
  });
});
