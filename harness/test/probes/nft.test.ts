import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { effectiveOffload, parseNftJson } from '../../src/probes/nft.js';

const fx = (n: string) => parseNftJson(readFileSync(new URL(`../fixtures/${n}`, import.meta.url), 'utf8'));

describe('nft -j list ruleset', () => {
  it('software offload: flowtable ft over both NICs, fed by the forward chain, no flags offload', () => {
    const rs = fx('nft-ruleset-sw.json');
    expect(rs.flowtables).toEqual([{ family: 'inet', table: 'fw4', name: 'ft', devices: ['eth0', 'eth1'], flags: [] }]);
    expect(rs.flowRules).toEqual([{ family: 'inet', table: 'fw4', chain: 'forward', flowtable: 'ft' }]);
    expect(effectiveOffload(rs)).toBe('sw');
    expect(rs.counters.find((c) => c.comment === 'hil: forward-chain counter')).toBeDefined();
  });

  it('hardware requested on virtio: the kernel ruleset shows software offload', () => {
    expect(effectiveOffload(fx('nft-ruleset-hw-fallback.json'))).toBe('sw');
  });

  it('no offloading: no flowtable, effective none', () => {
    const rs = fx('nft-ruleset-none.json');
    expect(rs.flowtables).toEqual([]);
    expect(effectiveOffload(rs)).toBe('none');
  });

  it('flags offload means hw; a flowtable no rule feeds means none', () => {
    const rs = fx('nft-ruleset-sw.json');
    expect(effectiveOffload({ ...rs, flowtables: rs.flowtables.map((f) => ({ ...f, flags: ['offload'] })) })).toBe('hw');
    expect(effectiveOffload({ ...rs, flowRules: [] })).toBe('none');
  });
});
