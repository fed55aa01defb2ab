import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { errnoName, kprobeHits, parseBindTrace } from '../../src/probes/flow-block.js';

const fx = (f: string) => readFileSync(join(import.meta.dirname, '../fixtures', f), 'utf8');

// The default image's kernel traced by offload-hil's kprobe events while `nft -c` asked for a
// flowtable with `flags offload` on its virtio NIC (capture-flow-block.mjs).
describe('flow block answers from the kernel trace', () => {
  it('upstream: virtio-net refuses the BIND, and the flowtable fails with it (no UNBIND follows)', () => {
    expect(parseBindTrace(fx('trace-flow-block-upstream.txt'))).toEqual([{ dev: 'eth0', ret: -95 }]);
  });

  it("OpenWrt's flavour: the same refusal, the flowtable kept, then UNBIND when nft -c's dry run is undone (not a BIND, not counted)", () => {
    const t = fx('trace-flow-block-openwrt.txt');
    expect(t).toMatch(/dev="eth0" cmd=1/);
    expect(parseBindTrace(t)).toEqual([{ dev: 'eth0', ret: -95 }]);
  });

  it('Linux 6.12: the device named through BTF (dev->name: net_device no longer starts with its name), the same answers', () => {
    expect(parseBindTrace(fx('trace-flow-block-upstream-6.12.txt'))).toEqual([{ dev: 'eth0', ret: -95 }]);
    const t = fx('trace-flow-block-openwrt-6.12.txt');
    expect(t).toMatch(/dev="eth0" cmd=1/);
    expect(parseBindTrace(t)).toEqual([{ dev: 'eth0', ret: -95 }]);
    expect(kprobeHits(fx('kprobe_profile-6.12.txt'), 'hwadd')).toBe(6);
  });

  it('errno names', () => {
    expect(errnoName(-95)).toBe('EOPNOTSUPP (-95)');
    expect(errnoName(-28)).toBe('ENOSPC (-28)');
    expect(errnoName(0)).toBe('accepted');
  });

  it("hardware inserts are kprobe_profile's hits", () => {
    expect(kprobeHits(fx('kprobe_profile.txt'), 'hwadd')).toBe(6);
    expect(kprobeHits(fx('kprobe_profile.txt'), 'nothere')).toBeNull();
  });
});
