import { copyFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { BootImage } from '../images/default-image.js';
import { createOverlay, OVERLAY_DIR } from '../images/overlay.js';
import type { ResolvedImage } from '../images/resolve.js';
import type { BootReport } from '../report/types.js';
import { openwrtLogin } from '../targets/openwrt-login.js';
import { bootQemu, type QemuBootOptions, type QemuDut } from '../targets/qemu.js';
import type { TeardownStack } from './teardown.js';

/**
 * Boots an OpenWrt image cold: its disk (or rootfs) behind a qcow2 overlay of this lab's
 * own, EFI variables copied per lab, then procd's console and the agent. Overlays and the
 * variable copy go on the teardown stack before QEMU starts, so they never outlive the run.
 */
export async function bootOpenWrt(
  resolved: ResolvedImage,
  o: Omit<QemuBootOptions, 'image' | 'login' | 'restore'>,
  teardown: TeardownStack,
): Promise<{ dut: QemuDut; boot: BootReport }> {
  const image: BootImage = { name: 'openwrt', key: resolved.source, disks: [] };
  const base = resolved.kind === 'disk' ? resolved.path : resolved.rootfs;
  if (base) {
    const overlay = await createOverlay(base, o.name);
    teardown.push('overlay', async () => {
      await overlay.remove();
    });
    image.disks!.push(overlay.path);
  }
  if (resolved.kind === 'kernel') image.kernel = resolved.kernel;
  if (resolved.kind === 'disk' && o.profile.firmware) {
    const vars = join(OVERLAY_DIR, `${o.name}.vars.fd`);
    await copyFile(o.profile.firmware.vars, vars);
    teardown.push('firmware vars', () => rm(vars, { force: true }));
    image.firmwareVars = vars;
  }
  const dut = await bootQemu({ ...o, image, login: openwrtLogin });
  return {
    dut,
    boot: { kind: 'cold', ms: Math.round(dut.bootMs), guest: dut.banner, snapshot: { key: null, action: 'none', note: 'snapshots cover the default image so far' }, warnings: [] },
  };
}
