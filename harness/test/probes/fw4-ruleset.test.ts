import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rulesetDifferences, summarizeKernel, summarizeRendered } from '../../src/probes/fw4-ruleset.js';

const fx = (f: string) => readFileSync(join(import.meta.dirname, '../fixtures', f), 'utf8');

// Real firewall4 (OpenWrt 23.05.2) on the OpenWrt fixture: `fw4 print` with includes
// expanded, and the kernel's table after `fw4 reload` (capture-openwrt.mjs).
describe("fw4's rendered ruleset against the kernel's", () => {
  it('software offloading applied: the kernel holds what fw4 rendered', () => {
    const rendered = summarizeRendered(fx('openwrt-fw4-print-sw.nft'));
    const kernel = summarizeKernel(fx('openwrt-nft-ruleset-sw.json'), fx('openwrt-nft-list-flowtables-sw.txt'))!;
    expect(rendered.flowtables).toEqual({ ft: { hook: 'ingress', priority: 0, devices: ['eth0', 'eth1'], offload: false, counter: true } });
    // The harness's forward counter (an nftables include, expanded) is one of these.
    expect(rendered.chains.forward).toBeGreaterThan(3);
    expect(Object.keys(rendered.chains)).toContain('srcnat_wan');
    expect(rulesetDifferences(rendered, kernel)).toEqual([]);
  });

  it('a rejected reload leaves the old table: present, but not what was rendered', () => {
    const rendered = summarizeRendered(fx('openwrt-fw4-print-rejected.nft'));
    const kernel = summarizeKernel(fx('openwrt-nft-ruleset-rejected.json'), fx('openwrt-nft-list-flowtables-rejected.txt'));
    expect(kernel).not.toBeNull();
    expect(kernel!.flowtables).toEqual({});
    const d = rulesetDifferences(rendered, kernel);
    expect(d).toContain('flowtable ft: rendered hook ingress priority 0, devices eth0, eth1, counter; kernel none');
    expect(d.some((x) => /^chain forward: rendered (\d+) rules; kernel (\d+) rules$/.test(x))).toBe(true);
  });

  it('no table at all', () => {
    expect(summarizeKernel('{"nftables": [{"metainfo": {"version": "1.0.9"}}]}', '')).toBeNull();
    expect(rulesetDifferences(summarizeRendered(fx('openwrt-fw4-print-sw.nft')), null)).toEqual(['the kernel has no table inet fw4']);
  });

  it("where the offload rule sits and where masquerading applies, read from the kernel: real firewall4 and the default image's stand-in agree", () => {
    const real = summarizeKernel(fx('openwrt-nft-ruleset-sw.json'), fx('openwrt-nft-list-flowtables-sw.txt'))!;
    // nft 1.0.6 on the default image lists l4proto as numbers; the summary names them.
    const imitation = summarizeKernel(fx('nft-ruleset-sw.json'), '')!;
    for (const k of [real, imitation]) {
      expect(k.offloadRule).toEqual({ chain: 'forward', index: 0, match: 'meta l4proto { tcp, udp }', flowtable: 'ft' });
      expect(k.masquerade).toEqual([{ devices: ['eth1'], family: 'ipv4' }]);
    }
  });
});
