import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execOk } from '../util/exec.js';

export const OVERLAY_DIR = process.env.HIL_OVERLAY_DIR ?? '/var/tmp/offload-hil/overlays';

/**
 * A qcow2 layer over the cached image: the guest writes there, the base is opened read-only
 * and never changes, so parallel labs share it. remove() is idempotent.
 */
export async function createOverlay(base: string, name: string, format: 'raw' | 'qcow2' = 'raw'): Promise<{ path: string; remove: () => Promise<void> }> {
  await mkdir(OVERLAY_DIR, { recursive: true });
  const path = join(OVERLAY_DIR, `${name}.qcow2`);
  await execOk('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', format, '-b', base, path]);
  return { path, remove: () => rm(path, { force: true }) };
}
