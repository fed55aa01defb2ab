import { dirname } from 'node:path';
import { loadDefaultImage, type BootImage } from '../images/default-image.js';
import { describeRef, parseImageRef, type ImageRef } from '../images/image-ref.js';
import { resolveImage, type ResolvedImage } from '../images/resolve.js';
import type { Scenario } from '../scenario/schema.js';
import { loadProfile, type QemuProfile } from '../targets/qemu-profile.js';

/** What a scenario's DUT boots: the built-in image, or an OpenWrt image. */
export type DutImage =
  | { kind: 'default'; image: BootImage; profile: QemuProfile }
  | { kind: 'openwrt'; resolved: ResolvedImage; profile: QemuProfile }
  /** The image could not be had (not found, wrong checksum, unknown layout): the scenario's one-line reason. */
  | { kind: 'error'; reason: string };

/** --image wins over the scenario's target.image; relative paths are the scenario's folder's. */
export function imageRefOf(s: Scenario, override?: ImageRef): ImageRef {
  return override ?? parseImageRef(s.target.image, dirname(s.file));
}

/** Each distinct image is fetched, verified and unpacked once per run, before any lab exists. */
export async function prepareImages(scenarios: Scenario[], override: ImageRef | undefined, progress: (t: string) => void): Promise<DutImage[]> {
  const cache = new Map<string, Promise<DutImage>>();
  const profiles = new Map<string, Promise<QemuProfile>>();
  const profile = (name: string) => {
    if (!profiles.has(name)) profiles.set(name, loadProfile(name));
    return profiles.get(name)!;
  };
  const out: DutImage[] = [];
  for (const s of scenarios) {
    const ref = imageRefOf(s, override);
    const id = `${describeRef(ref)} ${s.target.profile ?? ''}`;
    if (!cache.has(id)) {
      cache.set(id, (async (): Promise<DutImage> => {
        if (ref.kind === 'default') return { kind: 'default', image: await loadDefaultImage(), profile: await profile(s.target.profile ?? 'x86-64') };
        const resolved = await resolveImage(ref, progress);
        return { kind: 'openwrt', resolved, profile: await profile(s.target.profile ?? resolved.profile) };
      })().catch((e: Error): DutImage => ({ kind: 'error', reason: e.message })));
    }
    out.push(await cache.get(id)!);
  }
  return out;
}
