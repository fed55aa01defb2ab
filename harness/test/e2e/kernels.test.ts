import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/report/types.js';
import { leftovers } from './leftovers.js';

// The second kernel series (Debian bookworm-backports' 6.12) under the shipped suite: the CI
// matrix's other leg. Its image is built on first use if `npm run setup -- --kernel 6.12` has
// not built it (.ci/run does, so this file's time is the suite's).
const root = new URL('../../../', import.meta.url).pathname;
const hil = (args: string[], env: Record<string, string>) => execa('node', [join(root, 'harness/bin/hil.js'), ...args], { reject: false, cwd: root, env });
const tmp = () => mkdtempSync(join(tmpdir(), 'hil-kernels-e2e-'));
const readReport = (dir: string) => JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as RunReport;
const OPENWRT = resolve(root, '..', 'shared', 'openwrt', 'openwrt-x86-64-rootfs.tar.gz');

describe('Linux 6.12', () => {
  const snaps = tmp();
  const env = { HIL_SNAPSHOT_DIR: snaps };

  it('every shipped scenario passes on 6.12, warm (one cold boot per DUT configuration, the rest restored), and says which kernel ran', async () => {
    const out = tmp();
    const r = await hil(['run', 'scenarios/', '--kernel', '6.12', '--out', out], env);
    expect(r.stdout).toMatch(/28 passed, 0 failed, 0 error, 0 skipped/);
    expect(r.exitCode).toBe(0);
    const rep = readReport(out);
    for (const s of rep.scenarios) {
      expect(s.boot!.kernel).toMatchObject({ by: 'offload-hil', series: '6.12', package: expect.stringMatching(/^linux-image-6\.12\./) });
      expect(s.boot!.kernel!.release).toMatch(/^6\.12\./);
      expect(s.boot!.guest.kernel).toMatch(/^6\.12\./);
    }
    expect(rep.scenarios.map((s) => s.boot!.snapshot.action).sort()).toEqual([...Array(24).fill('restored'), 'saved', 'saved', 'saved', 'saved']);
    // Where 6.12 differs, the scenario's own per-kernel expectation judged it (early drop of
    // offloaded entries: the flows are answered), not expect's own (a full table, flows unanswered).
    const full = rep.scenarios.find((s) => s.name === 'scale-conntrack-full')!;
    expect(full.assertions.map((a) => a.name)).toContain('flood.minAnsweredFraction');
    expect(full.assertions.map((a) => a.name)).not.toContain('flood.conntrackFull');
    // The flow-block probe names each device on 6.12 too (there through BTF).
    const engine = rep.scenarios.find((s) => s.name === 'hw-offload')!;
    expect(Object.values(engine.offload.devices!.answers!).map((a) => a.flowBlock)).toEqual(['accepted', 'accepted']);
    // 6.12 links netdevsim ports: they are the router's LAN and WAN ports, the only ones with
    // addresses, so the offloaded stream crossed them; the refusal and fallback are 6.1's.
    const ns = rep.scenarios.find((s) => s.name === 'netdevsim-fallback')!;
    expect(ns.netdevsim).toEqual({ ports: ['nsim0', 'nsim1'], hwTcOffload: { nsim0: true, nsim1: true }, carrying: { lan: 'nsim0', wan: 'nsim1' } });
    expect(ns.firewall!.rendered!.flowtables.ft!.devices).toEqual(['nsim0', 'nsim1']);
    expect(ns.offload).toMatchObject({ effective: 'sw', fallback: true });
    expect(ns.flows.map((f) => [f.state, f.matched])).toEqual([['sw', true]]);
    expect(ns.traffic[0]!.bitsPerSecond).toBeGreaterThan(0);
    expect(await leftovers()).toEqual([]);
  }, 900_000);

  it("dut.kernel picks the series per scenario; --kernel is a run's, and a wrong one is a usage error", async () => {
    const dir = tmp();
    const text = readFileSync(join(root, 'scenarios', 'sw-offload.yaml'), 'utf8').replace(/^name: .*$/m, 'name: sw-offload-612\ndut: { kernel: "6.12" }');
    writeFileSync(join(dir, 'sw-offload-612.yaml'), text);
    const out = tmp();
    const r = await hil(['run', join(dir, 'sw-offload-612.yaml'), 'scenarios/sw-offload.yaml', '--out', out], env);
    expect(r.exitCode).toBe(0);
    const by = Object.fromEntries(readReport(out).scenarios.map((s) => [s.name, s.boot!.kernel!.series]));
    expect(by).toEqual({ 'sw-offload-612': '6.12', 'sw-offload': '6.1' });
    const bad = await hil(['run', 'scenarios/sw-offload.yaml', '--kernel', '5.15'], env);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/--kernel must be 6\.1 or 6\.12, not "5\.15"/);
    expect(await leftovers()).toEqual([]);
  }, 300_000);

  it.skipIf(!existsSync(OPENWRT))('an OpenWrt root filesystem boots on 6.12 (its modules decompressed for OpenWrt\'s loader), in the OpenWrt flavour', async () => {
    const out = tmp();
    const r = await hil(['run', 'scenarios/openwrt/sw-offload-openwrt.yaml', 'scenarios/openwrt/hw-fallback-openwrt.yaml', '--kernel', '6.12', '--image', OPENWRT, '--out', out], env);
    expect(r.stdout).toMatch(/2 passed, 0 failed, 0 error, 0 skipped/);
    const rep = readReport(out);
    for (const s of rep.scenarios) {
      expect(s.boot!.kernel).toMatchObject({ by: 'offload-hil', series: '6.12', flavour: 'openwrt' });
      expect(s.rootfs!.kernel.release).toMatch(/^6\.12\./);
    }
    // OpenWrt's kernel behaviour on 6.12 too: hw requested on virtio is kept unwarned, flows stay in software.
    const hw = rep.scenarios.find((s) => s.name === 'hw-fallback-openwrt')!;
    expect(hw.offload).toMatchObject({ requested: 'hw', effective: 'hw', fallback: false });
    expect(hw.flows.every((f) => f.state === 'sw')).toBe(true);
    expect(await leftovers()).toEqual([]);
  }, 600_000);
});
