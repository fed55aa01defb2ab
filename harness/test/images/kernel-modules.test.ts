import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseModuleIndex, selectModules } from '../../src/images/kernel-modules.js';

const fx = (f: string) => readFileSync(join(import.meta.dirname, '../fixtures', f), 'utf8');
// Lines of Debian 6.1's modules.dep and modules.builtin (the default image's kmod-index).
const index = parseModuleIndex(fx('modules.dep-excerpt.txt'), fx('modules.builtin-excerpt.txt'));

describe('modules for a root filesystem on the harness kernel', () => {
  it('takes each named module with its dependencies, dependencies first', () => {
    const s = selectModules(index, ['nft_flow_offload']);
    expect(s.files.at(-1)).toBe('kernel/net/netfilter/nft_flow_offload.ko');
    expect(s.files.indexOf('kernel/lib/libcrc32c.ko')).toBeLessThan(s.files.indexOf('kernel/net/netfilter/nf_conntrack.ko'));
    expect(s.files.indexOf('kernel/net/netfilter/nf_conntrack.ko')).toBeLessThan(s.files.indexOf('kernel/net/netfilter/nf_flow_table.ko'));
    expect(new Set(s.files).size).toBe(s.files.length);
  });

  it('matches - and _ alike, and tells built-in from absent', () => {
    const s = selectModules(index, ['crc32c-generic', 'crc-ccitt', 'sha1_generic', 'button-hotplug', 'nf_flow_table_hw']);
    expect(s.files).toEqual(['kernel/crypto/crc32c_generic.ko']);
    expect(s.builtin).toEqual(['crc-ccitt', 'sha1_generic']);
    expect(s.absent).toEqual(['button-hotplug', 'nf_flow_table_hw']);
  });

  it("OpenWrt's built-in drivers come with what Debian splits off them", () => {
    expect(selectModules(index, ['virtio_net', 'bridge']).files).toEqual([
      'kernel/net/core/failover.ko', 'kernel/drivers/net/net_failover.ko', 'kernel/drivers/net/virtio_net.ko',
      'kernel/net/llc/llc.ko', 'kernel/net/802/stp.ko', 'kernel/net/bridge/bridge.ko',
    ]);
  });
});
