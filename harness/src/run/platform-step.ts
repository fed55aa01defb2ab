import { basename, dirname, resolve } from 'node:path';
import { DefaultPlatform } from '../platforms/default.js';
import { OpenWrtPlatform } from '../platforms/openwrt.js';
import type { Platform } from '../platforms/types.js';
import type { ScenarioReport } from '../report/types.js';
import type { Scenario } from '../scenario/schema.js';
import { pushFile } from '../targets/push-file.js';
import type { Shell } from '../targets/types.js';

/**
 * After boot, before the lab is wired: which system the DUT is (default image or OpenWrt,
 * recorded in the report), and what the scenario asks of it before its firewall is applied:
 * packages installed, kernel settings, modules withheld. A DUT without
 * /proc/net/nf_conntrack is refused here, since flow states are read from it.
 */
export async function preparePlatform(s: Scenario, image: 'default' | 'openwrt' | 'board' | 'container', dut: { shell: Shell }, report: ScenarioReport): Promise<Platform> {
  // A board runs OpenWrt, or (the tests' stand-in) the default image's tools; a container
  // from the default rootfs is the default platform, on the host's kernel.
  if (image === 'container' && (s.dut.offloadEngine || s.dut.netdevsim || s.dut.withoutModules.length)) {
    throw new Error('a container DUT runs on the host\'s kernel: dut.offloadEngine, dut.netdevsim and dut.withoutModules need a VM');
  }
  const p = image === 'default' || image === 'container' ? new DefaultPlatform(s.dut.offloadEngine)
    : image === 'board' ? ((await OpenWrtPlatform.detect(dut.shell)) ?? new DefaultPlatform(s.dut.offloadEngine))
      : await OpenWrtPlatform.detect(dut.shell);
  if (s.dut.offloadEngine && !(p instanceof DefaultPlatform)) throw new Error('dut.offloadEngine needs the default image (it ships hil_offload.ko)');
  if (!p) throw new Error('the image booted, but it is not OpenWrt (no /etc/openwrt_release): offload-hil drives OpenWrt images and its own default image');
  if (p instanceof OpenWrtPlatform) {
    report.platform = {
      name: p.name, release: p.release.release, revision: p.release.revision, target: p.release.target, arch: p.release.arch,
      description: p.release.description, packageManager: p.packageManager, offloadPackage: p.offloadPackage, firewall4: p.firewall4,
    };
    await p.waitSystemReady(dut.shell, s.timeouts.bootMs);
  } else report.platform = { name: p.name, packageManager: null, offloadPackage: null };
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
