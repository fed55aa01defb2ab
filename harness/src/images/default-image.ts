import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { cacheDir } from '../util/paths.js';
import { UserError } from '../util/errors.js';

const manifestSchema = z.object({
  name: z.string(),
  key: z.string(),
  kernel: z.object({ package: z.string(), version: z.string(), release: z.string() }),
  userland: z.record(z.string(), z.string()),
  modules: z.string(),
  files: z.object({ kernel: z.string(), initrd: z.string(), rootfs: z.string().optional() }),
});

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
  modules?: string[];
}

/** The default image's userland as a root filesystem tarball (a container DUT's). */
export async function defaultRootfs(): Promise<string> {
  const dir = join(cacheDir(), 'images', 'default');
  const m = manifestSchema.parse(JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8').catch(() => {
    throw new UserError(`the default image is not built (no ${dir}/manifest.json): run \`npm run setup\``);
  })));
  if (!m.files.rootfs) throw new UserError('the default image was built without rootfs.tar: run `npm run setup`');
  return join(dir, m.files.rootfs);
}

/** The default image built by `npm run setup` (images/default/build.sh). */
export async function loadDefaultImage(): Promise<BootImage> {
  const dir = join(cacheDir(), 'images', 'default');
  const text = await readFile(join(dir, 'manifest.json'), 'utf8').catch(() => {
    throw new UserError(`the default image is not built (no ${dir}/manifest.json): run \`npm run setup\``);
  });
  const m = manifestSchema.parse(JSON.parse(text));
  return {
    name: m.name,
    key: m.key,
    kernel: join(dir, m.files.kernel),
    initrd: join(dir, m.files.initrd),
    kernelRelease: m.kernel.release,
    modules: m.modules.split(',').filter(Boolean),
  };
}
