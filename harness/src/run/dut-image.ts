import { dirname, resolve } from 'node:path';
import { defaultRootfs, loadDefaultImage, type BootImage } from '../images/default-image.js';
import { hostsRootfs } from '../images/hosts-image.js';
import type Docker from 'dockerode';
import { describeRef, parseImageRef, type ImageRef } from '../images/image-ref.js';
import { resolveImage, type ResolvedImage } from '../images/resolve.js';
import { DEFAULT_KERNEL, type KernelSeries, type Scenario } from '../scenario/schema.js';
import { loadBoard } from '../boards/load.js';
import type { Board } from '../boards/schema.js';
import { loadProfile, type QemuProfile } from '../targets/qemu-profile.js';

/** The engine a container scenario runs on. */
export interface ContainerEngineRef {
  docker: Docker;
  where: string;
}

/** A container image from a root filesystem tarball; image and engine are filled in once the run has imported it. */
export interface ContainerImage {
  rootfs: string;
  /** An OpenWrt root filesystem (it has /etc/openwrt_release): run with procd as its init and driven as OpenWrt. */
  openwrt?: boolean;
  image?: string;
  engine?: ContainerEngineRef;
}

/** What a scenario's DUT boots: the built-in image, or an OpenWrt image. */
export type DutImage =
  | { kind: 'default'; image: BootImage; profile: QemuProfile }
  | { kind: 'openwrt'; resolved: ResolvedImage; profile: QemuProfile }
  /** A container DUT. */
  | ({ kind: 'container' } & ContainerImage)
  /** A real board (or its stand-in): nothing to boot here; it is powered and reached as its file says. */
  | { kind: 'board'; board: Board }
  /** The image could not be had (not found, wrong checksum, unknown layout): the scenario's one-line reason. */
  | { kind: 'error'; reason: string };

/** --image wins over the scenario's target.image; relative paths are the scenario's folder's. */
export function imageRefOf(s: Scenario, override?: ImageRef): ImageRef {
  return override ?? parseImageRef(s.target.image, dirname(s.file));
}

/**
 * A container field's tarball: "default" is the given built image's (its manifest read once
 * per run, not once per scenario), anything else a path relative to the scenario's file.
 */
function tarballs(loadDefault: () => Promise<string>): (s: Scenario, value: string) => Promise<string> {
  let builtIn: Promise<string> | undefined;
  return (s, value) => (value === 'default' ? (builtIn ??= loadDefault()) : Promise.resolve(resolve(dirname(s.file), value)));
}

/**
 * Each distinct image is fetched, verified and unpacked once per run, before any lab exists;
 * the default image and root filesystem tarballs for the scenario's kernel series (`kernel`,
 * the run's --kernel, wins), a series not built yet being built here.
 */
export async function prepareImages(scenarios: Scenario[], override: ImageRef | undefined, progress: (t: string) => void, board?: Board, kernel?: KernelSeries): Promise<DutImage[]> {
  const cache = new Map<string, Promise<DutImage>>();
  const profiles = new Map<string, Promise<QemuProfile>>();
  const profile = (name: string) => {
    if (!profiles.has(name)) profiles.set(name, loadProfile(name));
    return profiles.get(name)!;
  };
  const out: DutImage[] = [];
  const boards = new Map<string, Promise<DutImage>>();
  const dutTarball = tarballs(defaultRootfs);
  for (const s of scenarios) {
    if (s.target.container && !board) {
      const rootfs = dutTarball(s, s.target.container);
      // Each scenario gets its own object: the run fills in the imported image per scenario.
      out.push(await rootfs.then((r): DutImage => ({ kind: 'container', rootfs: r }), (e: Error): DutImage => ({ kind: 'error', reason: e.message })));
      continue;
    }
    if (board || s.target.board) {
      const file = board?.file ?? resolve(dirname(s.file), s.target.board!);
      if (!boards.has(file)) boards.set(file, board ? Promise.resolve({ kind: 'board', board }) : loadBoard(file).then((b): DutImage => ({ kind: 'board', board: b }), (e: Error): DutImage => ({ kind: 'error', reason: e.message })));
      out.push(await boards.get(file)!);
      continue;
    }
    const ref = imageRefOf(s, override);
    const series = kernel ?? s.dut.kernel ?? DEFAULT_KERNEL;
    const id = `${describeRef(ref)} ${s.target.profile ?? ''} ${series}`;
    if (!cache.has(id)) {
      cache.set(id, (async (): Promise<DutImage> => {
        if (ref.kind === 'default') return { kind: 'default', image: await loadDefaultImage(series, progress), profile: await profile(s.target.profile ?? 'x86-64') };
        const resolved = await resolveImage(ref, progress, series);
        return { kind: 'openwrt', resolved, profile: await profile(s.target.profile ?? resolved.profile) };
      })().catch((e: Error): DutImage => ({ kind: 'error', reason: e.message })));
    }
    out.push(await cache.get(id)!);
  }
  return out;
}

/**
 * Each scenario's lab-host image, when its hosts are containers (lab.hosts.container):
 * the tarball's path, or why it cannot be had.
 */
export async function prepareHostImages(scenarios: Scenario[]): Promise<(ContainerImage | { error: string } | undefined)[]> {
  const tarball = tarballs(hostsRootfs);
  const out: (ContainerImage | { error: string } | undefined)[] = [];
  for (const s of scenarios) {
    const c = s.lab.hosts?.container;
    if (!c) {
      out.push(undefined);
      continue;
    }
    out.push(await tarball(s, c).then((r) => ({ rootfs: r }), (e: Error) => ({ error: `lab hosts: ${e.message}` })));
  }
  return out;
}
