import { createHash } from 'node:crypto';
import { access, mkdir, mkdtemp, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { execa } from 'execa';
import { parseOpenWrtRelease } from '../platforms/openwrt-release.js';
import type { PackageManager } from '../platforms/offload-modules.js';
import { DEFAULT_KERNEL, type KernelSeries } from '../scenario/schema.js';
import { UserError } from '../util/errors.js';
import { cacheDir, repoRoot } from '../util/paths.js';
import { sha256File } from '../util/sha256-file.js';
import { harnessKernel, type HarnessKernel } from './default-image.js';
import type { Progress } from './download.js';
import { moduleKey, parseModuleIndex, selectModules } from './kernel-modules.js';
import { AUTOLOAD, modulesNamed, parseApk, parseOpkg, type PackageDb } from './package-db.js';

const SHIM = join(repoRoot, 'images', 'openwrt-rootfs');
const COMPRESSED = /\.ko\.(xz|zst)$/;
/** Bumped when what this file writes into an image changes. */
const FORMAT = 4;

/** What a built rootfs image holds, kept beside it as manifest.json and copied into reports. */
export interface RootfsManifest {
  source: string;
  sha256: string;
  /** /etc/openwrt_release's description line. */
  release: string;
  arch: string;
  packageManager: PackageManager | null;
  /** The kernel it boots on: offload-hil's, never the image's (a rootfs tarball has none). */
  kernel: { by: 'offload-hil'; series: string; package: string; version: string; release: string };
  /** The default image (the kernel build) it was made for: a rebuilt one makes this stale. */
  builtFor: string;
  modules: {
    /** Installed package -> the module names it ships or autoloads. */
    byPackage: Record<string, string[]>;
    /** Module files put in /lib/modules/KVER (names), dependencies included. */
    shipped: string[];
    /** Named by a package, built into this kernel. */
    builtin: string[];
    /** Named by a package, but this kernel has no such module (OpenWrt-only drivers, names of other kernel versions). */
    absent: string[];
    /** What OpenWrt builds in and this kernel ships as modules, loaded before procd (images/openwrt-rootfs/builtin-modules.txt). */
    openwrtBuiltins: string[];
  };
}

export interface RootfsImage {
  dir: string;
  key: string;
  kernel: string;
  initrd: string;
  manifest: RootfsManifest;
}

const ELF_MACHINE: Record<number, string> = { 0x3e: 'x86_64', 0xb7: 'aarch64', 0x28: 'arm', 0x08: 'mips' };

const exists = (p: string) => access(p).then(() => true, () => false);

/** The image's package database, from opkg's or apk's own records. */
async function readPackageDb(root: string): Promise<PackageDb | null> {
  const status = await readFile(join(root, 'usr/lib/opkg/status'), 'utf8').catch(() => undefined);
  if (status !== undefined) {
    const info = join(root, 'usr/lib/opkg/info');
    const lists = new Map<string, string>();
    for (const f of await readdir(info).catch(() => [])) {
      if (f.endsWith('.list')) lists.set(f.slice(0, -5), await readFile(join(info, f), 'utf8'));
    }
    return parseOpkg(status, (n) => lists.get(n));
  }
  const installed = await readFile(join(root, 'lib/apk/db/installed'), 'utf8').catch(() => undefined);
  return installed === undefined ? null : parseApk(installed);
}

async function elfArch(path: string): Promise<string | undefined> {
  const head = await readFile(path).then((b) => b.subarray(0, 20), () => undefined);
  if (!head || head.toString('latin1', 1, 4) !== 'ELF') return undefined;
  return ELF_MACHINE[head.readUInt16LE(18)] ?? `ELF machine ${head.readUInt16LE(18)}`;
}

/** The kernel's .deb, downloaded again if the cache lost it. */
async function kernelDeb(k: HarnessKernel, progress: Progress): Promise<string> {
  if (await exists(k.deb)) return k.deb;
  progress(`downloading ${k.package} ${k.version} (its modules)`);
  const dir = join(cacheDir(), 'debs');
  await mkdir(dir, { recursive: true });
  const r = await execa('apt-get', ['download', '-q', `${k.package}=${k.version}`], { cwd: dir, reject: false });
  if (r.exitCode !== 0 || !(await exists(k.deb))) throw new UserError(`${k.package} ${k.version} is gone from the download cache and apt-get download failed: run \`npm run setup\``);
  return k.deb;
}

/**
 * Rootfs images made for a kernel build that is gone (a series' default image was rebuilt):
 * removed, as build.sh removes old default images. Those of every series' current build stay.
 */
async function pruneStale(): Promise<void> {
  const images = join(cacheDir(), 'images');
  const entries = await readdir(images).catch(() => [] as string[]);
  const live = new Set<string>();
  for (const d of entries.filter((e) => /^default-\d+\.\d+$/.test(e))) {
    const m = await readFile(join(images, d, 'manifest.json'), 'utf8').then((t) => JSON.parse(t) as { key?: string }, () => undefined);
    if (m?.key) live.add(m.key);
  }
  for (const d of entries) {
    if (!d.startsWith('rootfs-')) continue;
    const m = await readFile(join(images, d, 'manifest.json'), 'utf8').then((t) => JSON.parse(t) as Partial<RootfsManifest>, () => undefined);
    if (m?.builtFor && !live.has(m.builtFor)) await rm(join(images, d), { recursive: true, force: true });
  }
}

/** One mtree line: bsdtar writes the overlay with exact owners and a device node, without root. */
const mtree = (path: string, attrs: string) => `./${path} uid=0 gid=0 ${attrs}`;

/**
 * A root filesystem tarball (OpenWrt's *-rootfs.tar.gz, decompressed) made bootable on the
 * harness's kernel as an initramfs: the tarball as it is, then an overlay with the kernel
 * modules its installed packages name (and their dependencies in this kernel), the drivers
 * OpenWrt builds in, and the rdinit shim. Built once per tarball and kernel, under
 * $HIL_CACHE/images/rootfs-<key>/.
 */
export async function buildRootfsImage(tarball: string, source: string, progress: Progress = () => {}, series: KernelSeries = DEFAULT_KERNEL): Promise<RootfsImage> {
  const kernel = await harnessKernel(series, progress);
  const shim = await readFile(join(SHIM, 'init'), 'utf8');
  const builtinList = await readFile(join(SHIM, 'builtin-modules.txt'), 'utf8');
  const sha256 = await sha256File(tarball);
  const key = createHash('sha256').update([FORMAT, sha256, kernel.imageKey, shim, builtinList].join('\0')).digest('hex').slice(0, 16);
  const dir = join(cacheDir(), 'images', `rootfs-${key}`);
  const manifestPath = join(dir, 'manifest.json');
  const done = await readFile(manifestPath, 'utf8').catch(() => undefined);
  if (done) return { dir, key, kernel: kernel.vmlinux, initrd: join(dir, 'initramfs.cpio'), manifest: JSON.parse(done) as RootfsManifest };

  progress(`building an initramfs of ${basename(source)} for kernel ${kernel.release}`);
  await mkdir(join(cacheDir(), 'images'), { recursive: true });
  const work = await mkdtemp(join(cacheDir(), 'images', '.rootfs-build-'));
  try {
    const root = join(work, 'root');
    await mkdir(root);
    // Only read here, never booted from: device nodes would need root, and owners do not matter.
    const x = await execa('bsdtar', ['-xf', tarball, '-C', root, '--no-same-owner', '--no-same-permissions', '--exclude', './dev/*'], { reject: false });
    if (x.exitCode !== 0) throw new UserError(`image ${source}: bsdtar could not read it as a tar archive: ${String(x.stderr).trim().split('\n').pop()}`);
    const rel = parseOpenWrtRelease(await readFile(join(root, 'etc/openwrt_release'), 'utf8').catch(() => ''));
    if (!rel) throw new UserError(`image ${source}: a root filesystem without /etc/openwrt_release: offload-hil boots OpenWrt root filesystems (*-rootfs.tar.gz) on its own kernel`);
    if (!(await exists(join(root, 'sbin/init')))) throw new UserError(`image ${source}: no /sbin/init (procd) in this root filesystem`);
    const arch = (await elfArch(join(root, 'bin/busybox'))) ?? rel.arch;
    if (arch !== 'x86_64') throw new UserError(`image ${source}: its userland is ${arch || 'of unknown architecture'}; root filesystem tarballs boot on offload-hil's x86-64 kernel only (give an ${arch} image with its own kernel instead)`);

    const db = await readPackageDb(root);
    const byPackage: Record<string, string[]> = {};
    const named: string[] = [];
    for (const p of db?.packages ?? []) {
      const autoload = new Map<string, string>();
      for (const f of p.files) if (AUTOLOAD.test(f)) autoload.set(f, await readFile(join(root, f), 'utf8').catch(() => ''));
      const mods = modulesNamed(p, (f) => autoload.get(f));
      if (mods.length) {
        byPackage[p.name] = mods.sort();
        named.push(...mods);
      }
    }
    const index = parseModuleIndex(await readFile(join(kernel.index, 'modules.dep'), 'utf8'), await readFile(join(kernel.index, 'modules.builtin'), 'utf8'));
    const openwrtBuiltins = builtinList.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    const fromPackages = selectModules(index, named);
    const builtins = selectModules(index, openwrtBuiltins);
    const files = [...new Set([...builtins.files, ...fromPackages.files])];

    // The module files, from the kernel's package (depmod's index says where each is).
    progress(`taking ${files.length} modules from ${basename(kernel.deb)}`);
    const kroot = join(work, 'kernel');
    await mkdir(kroot);
    const members = join(work, 'members');
    await writeFile(members, files.map((f) => `./lib/modules/${kernel.release}/${f}\n`).join(''));
    const deb = await kernelDeb(kernel, progress);
    await execa('sh', ['-c', 'dpkg-deb --fsys-tarfile "$1" | tar -x -C "$2" -T "$3"', 'sh', deb, kroot, members]);
    // Debian's 6.12 compresses its modules (.ko.xz); OpenWrt's kmodloader and busybox's insmod
    // read plain .ko files only, as OpenWrt ships them.
    const packed = files.filter((f) => COMPRESSED.test(f)).map((f) => join(kroot, 'lib/modules', kernel.release, f));
    if (packed.length) {
      progress(`decompressing ${packed.length} modules`);
      for (const [ext, tool] of [['.xz', 'xz'], ['.zst', 'zstd']] as const) {
        const these = packed.filter((f) => f.endsWith(ext));
        if (these.length) await execa(tool, ['-d', '-q', '-f', ...(tool === 'zstd' ? ['--rm'] : []), ...these]);
      }
    }
    const plain = (f: string) => f.replace(COMPRESSED, '.ko');

    // The overlay: later entries of a concatenated initramfs win over the tarball's.
    const mdir = `lib/modules/${kernel.release}`;
    const loadOrder = builtins.files.map((f) => basename(plain(f)).replace(/\.ko$/, ''));
    await writeFile(join(work, 'builtin-modules'), `${loadOrder.join('\n')}\n`);
    await writeFile(join(work, 'empty'), '');
    const flavours = await Promise.all((await readdir(kernel.flavours)).map(async (f) => [f, (await readdir(join(kernel.flavours, f))).filter((k) => k.endsWith('.ko'))] as const));
    const spec = ['#mtree',
      mtree('dev', 'type=dir mode=0755'),
      mtree('dev/console', 'type=char mode=0600 device=native,5,1'),
      mtree('init', `type=file mode=0644 contents=${join(work, 'empty')}`),
      mtree('lib', 'type=dir mode=0755'), mtree('lib/modules', 'type=dir mode=0755'), mtree(mdir, 'type=dir mode=0755'),
      ...files.map(plain).map((f) => mtree(`${mdir}/${basename(f)}`, `type=file mode=0644 contents=${join(kroot, 'lib/modules', kernel.release, f)}`)),
      ...['modules.builtin', 'modules.builtin.modinfo'].map((f) => mtree(`${mdir}/${f}`, `type=file mode=0644 contents=${join(kernel.index, f)}`)),
      mtree('usr', 'type=dir mode=0755'), mtree('usr/lib', 'type=dir mode=0755'), mtree('usr/lib/hil', 'type=dir mode=0755'),
      mtree('usr/lib/hil/init', `type=file mode=0755 contents=${join(SHIM, 'init')}`),
      // Debian's static busybox: the shim must not depend on what the image's own busybox offers.
      mtree('usr/lib/hil/busybox', 'type=file mode=0755 contents=/bin/busybox'),
      mtree('usr/lib/hil/builtin-modules', `type=file mode=0644 contents=${join(work, 'builtin-modules')}`),
      // Kernel flavours (hil.flavour=NAME): the shim puts their modules over the kernel's own.
      mtree('usr/lib/hil/flavours', 'type=dir mode=0755'),
      ...flavours.flatMap(([f, kos]) => [mtree(`usr/lib/hil/flavours/${f}`, 'type=dir mode=0755'),
        ...kos.map((ko) => mtree(`usr/lib/hil/flavours/${f}/${ko}`, `type=file mode=0644 contents=${join(kernel.flavours, f, ko)}`))]),
    ];
    await writeFile(join(work, 'overlay.mtree'), `${spec.join('\n')}\n`);
    if (!(await elfArch('/bin/busybox'))) throw new UserError('/bin/busybox is missing: install busybox-static (`npm run setup`)');

    const out = join(work, 'out');
    await mkdir(out);
    const initrd = join(out, 'initramfs.cpio');
    await execa('bsdtar', ['-cf', '-', '--format', 'newc', `@${tarball}`], { stdout: { file: initrd } });
    await execa('bsdtar', ['-cf', '-', '--format', 'newc', `@${join(work, 'overlay.mtree')}`], { stdout: { file: initrd, append: true } });

    const manifest: RootfsManifest = {
      source, sha256, builtFor: kernel.imageKey, release: rel.description || `${rel.id} ${rel.release} ${rel.revision}`.trim(), arch,
      packageManager: db?.manager ?? null,
      kernel: { by: 'offload-hil', series: kernel.series, package: kernel.package, version: kernel.version, release: kernel.release },
      modules: {
        byPackage,
        shipped: files.map((f) => moduleKey(basename(plain(f)).replace(/\.ko$/, ''))).sort(),
        builtin: fromPackages.builtin, absent: fromPackages.absent, openwrtBuiltins: loadOrder,
      },
    };
    await writeFile(join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    await rm(dir, { recursive: true, force: true });
    await rename(out, dir);
    await pruneStale();
    progress(`built ${dir} (${((await stat(join(dir, 'initramfs.cpio'))).size / 1e6).toFixed(1)} MB)`);
    return { dir, key, kernel: kernel.vmlinux, initrd: join(dir, 'initramfs.cpio'), manifest };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
