import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/report/types.js';
import { leftovers } from './leftovers.js';

const root = new URL('../../../', import.meta.url).pathname;
const hil = (args: string[]) => execa('node', [join(root, 'harness/bin/hil.js'), ...args], { reject: false, cwd: root });
const tmp = () => mkdtempSync(join(tmpdir(), 'hil-flavour-e2e-'));
const byName = (dir: string) => Object.fromEntries((JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as RunReport).scenarios.map((s) => [s.name, s]));

// The same NICs and the same fw4 on offload-hil's kernel in both flavours: upstream Linux, and
// OpenWrt's (its patch 701: a device refusing the flow block no longer fails the flowtable).
describe('kernel flavours', () => {
  it("OpenWrt's kernel: hw requested on virtio is accepted unwarned, no device takes it, flows stay in software and the inserts are retried", async () => {
    const out = tmp();
    const r = await hil(['run', 'scenarios/hw-no-device-openwrt-kernel.yaml', 'scenarios/hw-fallback.yaml', '--out', out]);
    expect(r.exitCode).toBe(0);
    const by = byName(out);
    const ow = by['hw-no-device-openwrt-kernel']!;
    expect(ow.boot!.kernel).toMatchObject({ by: 'offload-hil', flavour: 'openwrt' });
    expect(ow.offload).toMatchObject({ requested: 'hw', effective: 'hw', fallback: false, warning: null });
    expect(ow.offload.devices!.answers).toEqual({
      eth0: { flowBlock: 'refused', error: 'EOPNOTSUPP (-95)', nftCheck: null },
      eth1: { flowBlock: 'refused', error: 'EOPNOTSUPP (-95)', nftCheck: null },
    });
    expect(ow.offload.summary).toBe('hardware offload requested and accepted by the ruleset (flags offload), but no device took the flow block (eth0: EOPNOTSUPP (-95); eth1: EOPNOTSUPP (-95)): flows in software');
    // Each flow in the flowtable is re-queued for hardware while it runs: the first try, then about once a second.
    expect(ow.offload.hwInserts!.during).toBeGreaterThanOrEqual(2);
    // Upstream, the same request: the kernel refuses, firewall4 warns and falls back, nothing is queued for hardware.
    const up = by['hw-fallback']!;
    expect(up.boot!.kernel!.flavour).toBe('upstream');
    expect(up.offload).toMatchObject({ effective: 'sw', fallback: true });
    expect(up.offload.devices!.answers!.eth0).toEqual({ flowBlock: 'refused', error: 'EOPNOTSUPP (-95)', nftCheck: 'Error: Could not process rule: Operation not supported' });
    expect(up.offload.hwInserts!.during).toBe(0);
    expect(await leftovers()).toEqual([]);
  }, 300_000);

  it('a flowtable mixing capable and refusing ports: hardware on the capable ones on OpenWrt\'s kernel, fallback for all upstream; the same file passes on both', async () => {
    const [ow, up] = [tmp(), tmp()];
    const a = await hil(['run', 'scenarios/hw-mixed-devices.yaml', '--out', ow]);
    const b = await hil(['run', 'scenarios/hw-mixed-devices.yaml', '--kernel-flavour', 'upstream', '--out', up]);
    expect([a.exitCode, b.exitCode]).toEqual([0, 0]);
    const o = byName(ow)['hw-mixed-devices']!;
    const u = byName(up)['hw-mixed-devices']!;
    expect(o.boot!.kernel!.flavour).toBe('openwrt');
    expect(u.boot!.kernel!.flavour).toBe('upstream');
    for (const s of [o, u]) {
      expect(Object.fromEntries(Object.entries(s.offload.devices!.answers!).map(([d, x]) => [d, x.flowBlock]))).toEqual({ lan0: 'accepted', wan0: 'accepted', nsim0: 'refused', nsim1: 'refused' });
    }
    expect(o.offload).toMatchObject({ effective: 'hw', fallback: false });
    expect(o.flows.every((f) => f.state === 'hw')).toBe(true);
    expect(o.engine!.hits).toBeGreaterThan(1000);
    expect(u.offload).toMatchObject({ effective: 'sw', fallback: true, refusals: { nsim0: expect.stringMatching(/Operation not supported/) } });
    expect(u.flows.every((f) => f.state === 'sw')).toBe(true);
    expect(u.offload.summary).toMatch(/^hardware offload requested; firewall4 fell back .*lan0, wan0 would take the flow block \(refused by nsim0: EOPNOTSUPP \(-95\); nsim1: EOPNOTSUPP \(-95\)\): flows in software$/);
    expect(await leftovers()).toEqual([]);
  }, 300_000);

  it('--kernel-flavour takes upstream or openwrt, nothing else', async () => {
    const r = await hil(['run', 'scenarios/sw-offload.yaml', '--kernel-flavour', 'lede']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('--kernel-flavour must be upstream or openwrt, not "lede"');
  });
});
