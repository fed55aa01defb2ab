import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { cacheDir } from '../util/paths.js';
import { UserError } from '../util/errors.js';

const manifestSchema = z.object({
  name: z.string(),
  key: z.string(),
  kernel: z.object({ package: z.string(), version: z.string(), release: z.string(), deb: z.string().optional() }),
  userland: z.record(z.string(), z.string()),
  modules: z.string(),
  files: z.object({ kernel: z.string(), initrd: z.string(), rootfs: z.string().optional(), kmodIndex: z.string().optional(), flavours: z.string().optional() }),
});
type Manifest = z.infer<typeof manifestSchema>;

/** What QEMU boots: a kernel (with initramfs or a root disk) and/or a disk behind firmware. */
export interface BootImage {
  name: string;
  key: string;
  kernel?: string;
  initrd?: string;
  /** qcow2 overlays, attached in order (the first is /dev/vda). */
  disks?: string[];
  /** This run's writable copy of the firmware's variable store (EFI profiles). */
  firmwareVars?: string;
  kernelRelease?: string;
  /** The Debian package the kernel came from (the default image). */
  kernelPackage?: { package: string; version: string };
  modules?: string[];
}

const defaultDir = () => join(cacheDir(), 'images', 'default');

async function readManifest(): Promise<Manifest> {
  const dir = defaultDir();
  const text = await readFile(join(dir, 'manifest.json'), 'utf8').catch(() => {
    throw new UserError(`the default image is not built (no ${dir}/manifest.json): run \`npm run setup\``);
  });
  return manifestSchema.parse(JSON.parse(text));
}

/** The harness's own kernel (the default image's), with what a root filesystem booted on it needs. */
export interface HarnessKernel {
  /** The default image's key: a rebuilt image is a new kernel build. */
  imageKey: string;
  package: string;
  version: string;
  release: string;
  vmlinux: string;
  /** The kernel's .deb in the download cache: every module it has. */
  deb: string;
  /** depmod's index of all those modules (modules.dep, modules.builtin, modules.builtin.modinfo). */
  index: string;
  /** Kernel flavours: FLAVOUR/*.ko replace the kernel's own modules of those names (images/default/extra-modules.sh). */
  flavours: string;
}

export async function harnessKernel(): Promise<HarnessKernel> {
  const dir = defaultDir();
  const m = await readManifest();
  if (!m.kernel.deb || !m.files.kmodIndex || !m.files.flavours) throw new UserError('the default image was built without its kernel\'s module index or flavours: run `npm run setup`');
  return {
    imageKey: m.key, package: m.kernel.package, version: m.kernel.version, release: m.kernel.release,
    vmlinux: join(dir, m.files.kernel), deb: join(cacheDir(), 'debs', m.kernel.deb), index: join(dir, m.files.kmodIndex), flavours: join(dir, m.files.flavours),
  };
}

/** The default image's userland as a root filesystem tarball (a container DUT's). */
export async function defaultRootfs(): Promise<string> {
  const dir = defaultDir();
  const m = await readManifest();
  if (!m.files.rootfs) throw new UserError('the default image was built without rootfs.tar: run `npm run setup`');
  return join(dir, m.files.rootfs);
}

/** The default image built by `npm run setup` (images/default/build.sh). */
export async function loadDefaultImage(): Promise<BootImage> {
  const dir = defaultDir();
  const m = await readManifest();
  return {
    name: m.name,
    key: m.key,
    kernel: join(dir, m.files.kernel),
    initrd: join(dir, m.files.initrd),
    kernelRelease: m.kernel.release,
    kernelPackage: { package: m.kernel.package, version: m.kernel.version },
    modules: m.modules.split(',').filter(Boolean),
  };
}
