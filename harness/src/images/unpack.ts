import { createHash } from 'node:crypto';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { execa } from 'execa';
import { cacheDir } from '../util/paths.js';
import { fileIdentity } from '../util/file-identity.js';
import { UserError } from '../util/errors.js';

/**
 * Decompresses a gzip image once into the cache. OpenWrt's .img.gz files carry metadata
 * (fwtool's signature block) after the gzip stream: GNU gzip decompresses the stream, checks
 * its CRC, and exits 2 with "trailing garbage ignored", which is success here. Node's zlib
 * instead fails on such files ("incorrect header check").
 */
export async function gunzipImage(path: string, dir = join(cacheDir(), 'images', 'unpacked')): Promise<string> {
  const id = createHash('sha256').update(await fileIdentity(path)).digest('hex').slice(0, 16);
  const dest = join(dir, id, basename(path).replace(/\.gz$/i, '') || 'image');
  if (await stat(dest).catch(() => undefined)) return dest;
  await mkdir(join(dir, id), { recursive: true });
  const partial = `${dest}.partial-${process.pid}`;
  try {
    const r = await execa('gzip', ['-dc', path], { stdout: { file: partial }, reject: false });
    const trailing = r.exitCode === 2 && /trailing garbage ignored/.test(String(r.stderr));
    if (r.exitCode !== 0 && !trailing) throw new UserError(`image ${path}: gzip could not decompress it: ${String(r.stderr).trim() || `exit ${r.exitCode}`}`);
    await rename(partial, dest);
    return dest;
  } finally {
    await rm(partial, { force: true });
  }
}
