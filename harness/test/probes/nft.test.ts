import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { effectiveOffload, parseFlowtableFlags, parseNftJson, withFlowtableFlags } from '../../src/probes/nft.js';

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

describe('flowtable flags from the text listing', () => {
  it('nft 1.0.6 JSON omits flags offload; the text listing has it', () => {
    const json = parseNftJson(readFileSync(new URL('../fixtures/nft-j-list-flowtables-offload.json', import.meta.url), 'utf8'));
    expect(json.flowtables[0]!.flags).toEqual([]);
    const flags = parseFlowtableFlags(readFileSync(new URL('../fixtures/nft-list-flowtables-offload.txt', import.meta.url), 'utf8'));
    expect(flags.get('inet fw4 ft')).toEqual(['offload', 'counter']);
    expect(withFlowtableFlags(json, flags).flowtables[0]!.flags).toEqual(['offload', 'counter']);
  });
});
