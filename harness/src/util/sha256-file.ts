import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';

/**
 * A file's sha256, hex. Images and saved VM states are hundreds of MB: read through one
 * buffer, since a read stream's fresh 64 KiB chunks grew the harness's heap by ~30 MB per file.
 */
export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  const buf = Buffer.allocUnsafe(1 << 20);
  const f = await open(path, 'r');
  try {
    for (;;) {
      const { bytesRead } = await f.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      h.update(buf.subarray(0, bytesRead));
    }
  } finally {
    await f.close();
  }
  return h.digest('hex');
}
