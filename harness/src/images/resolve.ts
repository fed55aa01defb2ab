import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { DEFAULT_KERNEL, type KernelSeries } from '../scenario/schema.js';
import { UserError } from '../util/errors.js';
import { fetchVerified, type Progress } from './download.js';
import { describeRef, type ImageRef } from './image-ref.js';
import { detectLayout, readHead, type Arch, type Layout } from './layout.js';
import { gunzipImage } from './unpack.js';
import { buildRootfsImage, type RootfsImage } from './rootfs-image.js';

/**
 * An image ready to boot: a raw disk (booted through a qcow2 overlay), a kernel (with an
 * initramfs inside, or a rootfs beside it), or a root filesystem tarball made into an
 * initramfs for the harness's own kernel.
 */
export type ResolvedImage =
  | { kind: 'disk'; source: string; path: string; arch: Arch; firmware: 'bios' | 'efi'; profile: string }
  | { kind: 'kernel'; source: string; kernel: string; rootfs?: string; arch: Arch; profile: string }
  | { kind: 'rootfs'; source: string; image: RootfsImage; arch: Arch; profile: string };

/** Root filesystem tarballs boot through this profile: the harness's kernel, the image as its initramfs. */
export const ROOTFS_PROFILE = 'openwrt-rootfs-x86-64';

/** OpenWrt names its arm64 QEMU targets armsr (24.10 on) and armvirt (before). */
const ARM_NAME = /armsr|armvirt|aarch64|arm64/i;

async function localFile(ref: ImageRef, progress: Progress): Promise<string> {
  if (ref.kind === 'url') return fetchVerified(ref.url, ref.sha256, progress);
  if (ref.kind !== 'file') throw new UserError(`image ${describeRef(ref)}: expected a file or URL here`);
  const st = await stat(ref.path).catch(() => undefined);
  if (!st) throw new UserError(`image not found: ${ref.path}`);
  if (!st.isFile()) throw new UserError(`image ${ref.path}: not a regular file`);
  return ref.path;
}

/** Decompresses as often as needed (an .img.gz), then says what the file is. */
async function unwrap(path: string, progress: Progress): Promise<{ path: string; layout: Layout }> {
  let p = path;
  for (let depth = 0; depth < 2; depth++) {
    const layout = detectLayout(await readHead(p));
    if (layout.kind !== 'gzip') return { path: p, layout };
    progress(`decompressing ${basename(p)}`);
    p = await gunzipImage(p);
  }
  throw new UserError(`image ${path}: gzip inside gzip inside gzip`);
}

export function profileFor(arch: Arch, firmware: 'bios' | 'efi'): string {
  if (arch === 'aarch64') return 'openwrt-armsr-armv8';
  return firmware === 'efi' ? 'openwrt-x86-64-efi' : 'openwrt-x86-64';
}

function unknownLayout(path: string, layout: Layout): UserError {
  const what = layout.kind === 'rootfs' ? `a ${layout.fs} root filesystem on its own (give it with its kernel: kernel=KERNEL,rootfs=${path})` : 'not gzip, no MBR or GPT partition table, not a Linux kernel (x86 bzImage or arm64 Image), not a tar archive';
  return new UserError(`image ${path}: unknown image layout: ${what}`);
}

export async function resolveImage(ref: ImageRef, progress: Progress = () => {}, series: KernelSeries = DEFAULT_KERNEL): Promise<ResolvedImage> {
  if (ref.kind === 'default') throw new Error('the default image is loaded by loadDefaultImage');
  const source = describeRef(ref);
  if (ref.kind === 'pair') {
    const k = await unwrap(await localFile(ref.kernel, progress), progress);
    const r = await unwrap(await localFile(ref.rootfs, progress), progress);
    if (k.layout.kind !== 'kernel') throw new UserError(`image ${k.path}: the kernel of a pair must be a Linux kernel image (x86 bzImage or arm64 Image)`);
    if (r.layout.kind === 'tar') throw new UserError(`image ${r.path}: a root filesystem tarball boots on offload-hil's kernel, on its own: give it without kernel=`);
    if (r.layout.kind !== 'rootfs' && r.layout.kind !== 'disk') throw new UserError(`image ${r.path}: the rootfs of a pair must be a squashfs or ext4 filesystem`);
    return { kind: 'kernel', source, kernel: k.path, rootfs: r.path, arch: k.layout.arch, profile: profileFor(k.layout.arch, 'bios') };
  }
  const { path, layout } = await unwrap(await localFile(ref, progress), progress);
  if (layout.kind === 'kernel') return { kind: 'kernel', source, kernel: path, arch: layout.arch, profile: profileFor(layout.arch, 'bios') };
  if (layout.kind === 'tar') return { kind: 'rootfs', source, image: await buildRootfsImage(path, source, progress, series), arch: 'x86_64', profile: ROOTFS_PROFILE };
  if (layout.kind === 'disk') {
    const arch: Arch = ARM_NAME.test(basename(source)) ? 'aarch64' : 'x86_64';
    const firmware = arch === 'aarch64' || (layout.table === 'gpt' && layout.efi) || layout.efi ? 'efi' : 'bios';
    return { kind: 'disk', source, path, arch, firmware, profile: profileFor(arch, firmware) };
  }
  throw unknownLayout(path, layout);
}
