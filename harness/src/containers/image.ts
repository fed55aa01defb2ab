import { execa } from 'execa';
import { parseOpenWrtRelease } from '../platforms/openwrt-release.js';
import { sha256File } from '../util/sha256-file.js';
import type Docker from 'dockerode';

export const IMAGE_REPO = 'offload-hil/rootfs';
export const LABEL_RUN = 'offload-hil.run';
export const LABEL_PID = 'offload-hil.pid';

export interface ImportedImage {
  ref: string;
  sha256: string;
  /** Whether this run imported it (and so removes it). */
  imported: boolean;
}

/**
 * `docker import` of a root filesystem tarball (plain or gzip), through the Engine API; the
 * tag is the tarball's sha256, so a changed tarball is a different image. An image already
 * present (a concurrent run's) is used as it is and left to its owner.
 */
export async function importRootfs(docker: Docker, tarball: string, runId: string): Promise<ImportedImage> {
  const digest = await sha256File(tarball).catch((e: NodeJS.ErrnoException) => {
    throw new Error(`container root filesystem ${tarball}: ${e.code ?? e.message}`);
  });
  const tag = digest.slice(0, 16);
  const ref = `${IMAGE_REPO}:${tag}`;
  const present = await docker.getImage(ref).inspect().then(() => true, () => false);
  if (present) return { ref, sha256: digest, imported: false };
  type Event = { error?: string; errorDetail?: { message: string } };
  // The engine reports a bad archive in the progress stream, not as an HTTP error.
  const events: Event[] = await (async () => {
    const stream = (await docker.importImage(tarball, { repo: IMAGE_REPO, tag, changes: [`LABEL ${LABEL_RUN}=${runId}`] } as never)) as unknown as NodeJS.ReadableStream;
    return new Promise<Event[]>((resolve, reject) => docker.modem.followProgress(stream, (err: Error | null, out: Event[]) => (err ? reject(err) : resolve(out))));
  })().catch((e: Error) => [{ error: e.message }]);
  const failed = events.find((e) => e.error || e.errorDetail);
  if (failed || !(await docker.getImage(ref).inspect().then(() => true, () => false))) {
    throw new Error(`importing ${tarball} as a container image failed: ${failed?.errorDetail?.message ?? failed?.error ?? 'the engine made no image'}`);
  }
  return { ref, sha256: digest, imported: true };
}

/** Whether a root filesystem tarball (plain or compressed) is OpenWrt's: it has /etc/openwrt_release. */
export async function isOpenWrtRootfs(tarball: string): Promise<boolean> {
  const r = await execa('bsdtar', ['-xOf', tarball, 'etc/openwrt_release', './etc/openwrt_release'], { reject: false });
  return parseOpenWrtRelease(String(r.stdout)) !== null;
}
