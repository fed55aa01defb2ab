import type { BootImage } from '../images/default-image.js';
import type { ResolvedImage } from '../images/resolve.js';
import { OpenWrtPlatform } from '../platforms/openwrt.js';
import type { BootReport } from '../report/types.js';
import { openwrtLogin } from '../targets/openwrt-login.js';
import type { QemuBootOptions, QemuDut } from '../targets/qemu.js';
import type { DiskPlan, DutBooter } from './dut-boot.js';

/** What QEMU boots for an OpenWrt image: its disk or kernel, or a rootfs tarball's initramfs on the harness's kernel. */
function bootImage(resolved: ResolvedImage): BootImage {
  if (resolved.kind === 'rootfs') {
    const r = resolved.image;
    return { name: 'openwrt-rootfs', key: r.key, kernel: r.kernel, initrd: r.initrd, kernelRelease: r.manifest.kernel.release, disks: [] };
  }
  const image: BootImage = { name: 'openwrt', key: resolved.source, disks: [] };
  if (resolved.kind === 'kernel') image.kernel = resolved.kernel;
  return image;
}

/**
 * Boots an OpenWrt image through the booter: its disk (or rootfs) behind a qcow2 overlay
 * of this lab's own, EFI variables copied per lab, procd's console and the agent. The state
 * is saved only once OpenWrt is really up (procd done, lan up, fw4 loaded); a restore
 * brings back that state with the disk layer saved beside it. The report says whose kernel ran.
 */
export async function bootOpenWrt(
  booter: DutBooter,
  resolved: ResolvedImage,
  o: Omit<QemuBootOptions, 'image' | 'login' | 'restore'>,
): Promise<{ dut: QemuDut; boot: BootReport }> {
  const base = resolved.kind === 'disk' ? resolved.path : resolved.kind === 'kernel' ? resolved.rootfs : undefined;
  const plan: DiskPlan = {
    bases: base ? [{ path: base, format: 'raw' }] : [],
    varsTemplate: resolved.kind === 'disk' && o.profile.firmware ? o.profile.firmware.vars : undefined,
    // Saved (when saved) with the lab's addresses in place: netifd's reload and the hotplug
    // firewall reloads it sets off take seconds that a restore then skips.
    prepare: async (dut) => {
      const p = await OpenWrtPlatform.detect(dut.shell);
      if (!p) return;
      await p.waitSystemReady(dut.shell, o.bootTimeoutMs);
      await p.configureNetwork(dut.shell);
    },
  };
  const booted = await booter.boot({ ...o, image: bootImage(resolved), login: openwrtLogin }, plan);
  const release = booted.dut.banner.kernel ?? '';
  booted.boot.kernel = resolved.kind === 'rootfs'
    ? { ...resolved.image.manifest.kernel, release: release || resolved.image.manifest.kernel.release }
    : { by: 'image', release };
  return booted;
}
