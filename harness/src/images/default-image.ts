import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { execa } from 'execa';
import { z } from 'zod';
import { DEFAULT_KERNEL, type KernelSeries } from '../scenario/schema.js';
import { cacheDir, repoRoot } from '../util/paths.js';
import { UserError } from '../util/errors.js';
import type { Progress } from './download.js';

const manifestSchema = z.object({
  name: z.string(),
  key: z.string(),
  /** Absent in images built before there were series: those were 6.1. */
  series: z.string().default('6.1'),
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
  /** offload-hil's kernel series (the default image). */
  series?: KernelSeries;
  /** The Debian package the kernel came from (the default image). */
  kernelPackage?: { package: string; version: string };
  modules?: string[];
}

/** images/default/build.sh's link to the newest build of a series. */
const defaultDir = (series: KernelSeries) => join(cacheDir(), 'images', `default-${series}`);

const building = new Map<KernelSeries, Promise<void>>();

/**
 * Builds a series' image the first time it is asked for (`npm run setup` builds 6.1; 6.12 is
 * downloaded and built here, a few minutes, said as it goes). build.sh holds a lock, so two
 * runs asking at once build it once.
 */
async function build(series: KernelSeries, progress: Progress): Promise<void> {
  progress(`building the default image for Linux ${series} (first use: Debian's kernel, headers and source are downloaded, modules compiled; a few minutes)`);
  const p = execa('bash', [join(repoRoot, 'images', 'default', 'build.sh'), '--kernel', series], { reject: false, stdout: 'ignore', stderr: 'pipe', buffer: false });
  const seen: string[] = [];
  createInterface({ input: p.stderr! }).on('line', (line) => {
    seen.push(line);
    progress(line.replace(/^image: /, `image ${series}: `));
  });
  const r = await p;
  if (r.exitCode !== 0) throw new UserError(`the default image for Linux ${series} could not be built (images/default/build.sh --kernel ${series} exited ${r.exitCode}): ${seen.slice(-3).join(' / ') || 'no output'}; as root: npm run setup -- --kernel ${series}`);
}

async function readManifest(series: KernelSeries = DEFAULT_KERNEL, progress?: Progress): Promise<Manifest> {
  const path = join(defaultDir(series), 'manifest.json');
  const read = () => readFile(path, 'utf8').then((t) => manifestSchema.parse(JSON.parse(t)), () => undefined);
  const have = await read();
  if (have) return have;
  if (!progress) throw new UserError(`the default image for Linux ${series} is not built (no ${path}): run \`npm run setup${series === DEFAULT_KERNEL ? '' : ` -- --kernel ${series}`}\``);
  if (!building.has(series)) building.set(series, build(series, progress).finally(() => building.delete(series)));
  await building.get(series);
  const built = await read();
  if (!built) throw new UserError(`images/default/build.sh --kernel ${series} succeeded but left no ${path}`);
  return built;
}

/** The harness's own kernel (the default image's), with what a root filesystem booted on it needs. */
export interface HarnessKernel {
  /** The default image's key: a rebuilt image is a new kernel build. */
  imageKey: string;
  series: KernelSeries;
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

export async function harnessKernel(series: KernelSeries = DEFAULT_KERNEL, progress?: Progress): Promise<HarnessKernel> {
  const dir = defaultDir(series);
  const m = await readManifest(series, progress);
  if (!m.kernel.deb || !m.files.kmodIndex || !m.files.flavours) throw new UserError('the default image was built without its kernel\'s module index or flavours: run `npm run setup`');
  return {
    imageKey: m.key, series: m.series as KernelSeries, package: m.kernel.package, version: m.kernel.version, release: m.kernel.release,
    vmlinux: join(dir, m.files.kernel), deb: join(cacheDir(), 'debs', m.kernel.deb), index: join(dir, m.files.kmodIndex), flavours: join(dir, m.files.flavours),
  };
}

/** The default image's userland as a root filesystem tarball (a container DUT's). */
export async function defaultRootfs(): Promise<string> {
  const dir = defaultDir(DEFAULT_KERNEL);
  const m = await readManifest();
  if (!m.files.rootfs) throw new UserError('the default image was built without rootfs.tar: run `npm run setup`');
  return join(dir, m.files.rootfs);
}

/**
 * The default image of a kernel series (images/default/build.sh): 6.1 built by `npm run
 * setup`; with `progress`, one not built yet is built now.
 */
export async function loadDefaultImage(series: KernelSeries = DEFAULT_KERNEL, progress?: Progress): Promise<BootImage> {
  const dir = defaultDir(series);
  const m = await readManifest(series, progress);
  return {
    name: m.name,
    key: m.key,
    kernel: join(dir, m.files.kernel),
    initrd: join(dir, m.files.initrd),
    kernelRelease: m.kernel.release,
    series: m.series as KernelSeries,
    kernelPackage: { package: m.kernel.package, version: m.kernel.version },
    modules: m.modules.split(',').filter(Boolean),
  };
}
