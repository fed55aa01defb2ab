import { basename, dirname, resolve } from 'node:path';
import { OpenWrtPlatform } from '../platforms/openwrt.js';
import type { Platform } from '../platforms/types.js';
import type { ScenarioReport } from '../report/types.js';
import { bootTimeoutMs, type Scenario } from '../scenario/schema.js';
import { pushFile } from '../targets/push-file.js';
import type { Shell } from '../targets/types.js';

/**
 * After boot, before the lab is wired: the DUT's system (the target chose it: default image
 * or OpenWrt) recorded in the report, and what the scenario asks of it before its firewall
 * is applied: packages installed, kernel settings, modules withheld. A DUT without
 * /proc/net/nf_conntrack is refused here, since flow states are read from it.
 */
export async function preparePlatform(s: Scenario, p: Platform, dut: { shell: Shell }, report: ScenarioReport): Promise<Platform> {
  if (p instanceof OpenWrtPlatform) {
    report.platform = {
      name: p.name, release: p.release.release, revision: p.release.revision, target: p.release.target, arch: p.release.arch,
      description: p.release.description, packageManager: p.packageManager, offloadPackage: p.offloadPackage, firewall4: p.firewall4,
    };
    await p.waitSystemReady(dut.shell, bootTimeoutMs(s, 'openwrt'));
  } else report.platform = { name: p.name, packageManager: null, offloadPackage: null };
  const k = report.boot?.kernel;
  if (k && !k.flavour) {
    // A kernel offload-hil did not build: OpenWrt's own carry patch 701 since 23.05 (pending-5.15 on).
    k.flavour = p instanceof OpenWrtPlatform && openwrtKernelHas701(p.release.release) ? 'openwrt' : 'upstream';
    k.flavourAssumed = true;
  }
  if (s.dut.packages.length) {
    if (!(p instanceof OpenWrtPlatform)) throw new Error('dut.packages needs an OpenWrt DUT (opkg or apk); the default image has no package manager');
    const remote: string[] = [];
    await dut.shell.run('mkdir -p /tmp/hil-packages');
    for (const f of s.dut.packages) {
      const r = `/tmp/hil-packages/${basename(f)}`;
      await pushFile(dut.shell, resolve(dirname(s.file), f), r);
      remote.push(r);
    }
    const inst = await p.installPackages(dut.shell, remote);
    report.packages = { files: s.dut.packages, command: inst.command, exitCode: inst.exitCode, output: inst.stdout + inst.stderr };
    if (inst.exitCode !== 0) throw new Error(`installing ${s.dut.packages.join(', ')} failed (exit ${inst.exitCode}): ${(inst.stderr || inst.stdout).trim().split('\n').pop()}`);
  }
  const sysctls = Object.entries(s.dut.sysctl);
  if (sysctls.length) {
    const r = await dut.shell.run(sysctls.map(([k, v]) => `echo '${v}' > /proc/sys/${k.replace(/\./g, '/')}`).join(' && '));
    if (r.exitCode !== 0) throw new Error(`dut.sysctl: ${r.stderr.trim() || 'failed'}`);
  }
  if (p instanceof OpenWrtPlatform && s.dut.withoutModules.length) await p.withholdModules(dut.shell, s.dut.withoutModules);
  const ct = await dut.shell.run('[ -e /proc/net/nf_conntrack ]');
  if (ct.exitCode !== 0) throw new Error('the DUT has no /proc/net/nf_conntrack (nf_conntrack not loaded, or a kernel without NF_CONNTRACK_PROCFS): offload-hil reads flow states from it');
  return p;
}

/** OpenWrt 23.05 and later, and snapshots, build their kernels with patch 701; 22.03 and earlier do not. */
export function openwrtKernelHas701(release: string): boolean {
  const m = /^(\d+)\.(\d+)/.exec(release);
  if (!m) return true;
  return Number(m[1]) > 23 || (Number(m[1]) === 23 && Number(m[2]) >= 5);
}
