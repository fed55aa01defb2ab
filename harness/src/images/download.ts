import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { cacheDir } from '../util/paths.js';
import { UserError } from '../util/errors.js';

export type Progress = (text: string) => void;

/**
 * Downloads url once into the cache, keyed by its sha256, and verifies it. A file whose
 * hash differs is deleted and is an error; a cached file is used without a download.
 */
export async function fetchVerified(url: string, sha256: string, progress: Progress = () => {}, dir = join(cacheDir(), 'downloads')): Promise<string> {
  const name = basename(new URL(url).pathname) || 'image';
  const folder = join(dir, sha256);
  const dest = join(folder, name);
  if (await stat(dest).catch(() => undefined)) return dest;
  await mkdir(folder, { recursive: true });
  const partial = `${dest}.partial-${process.pid}`;
  try {
    let res: Response;
    try {
      res = await fetch(url);
    } catch (e) {
      throw new UserError(`image ${url}: download failed: ${(e as Error & { cause?: Error }).cause?.message ?? (e as Error).message}`);
    }
    if (!res.ok || !res.body) throw new UserError(`image ${url}: download failed: HTTP ${res.status} ${res.statusText}`);
    const total = Number(res.headers.get('content-length') ?? 0);
    const hash = createHash('sha256');
    let got = 0;
    let shown = 0;
    const body = Readable.fromWeb(res.body as never);
    body.on('data', (c: Buffer) => {
      hash.update(c);
      got += c.length;
      if (got - shown >= 16 << 20) {
        shown = got;
        progress(`downloading ${name}: ${(got / 1048576).toFixed(0)}${total ? ` of ${(total / 1048576).toFixed(0)}` : ''} MB`);
      }
    });
    await pipeline(body, createWriteStream(partial));
    const actual = hash.digest('hex');
    if (actual !== sha256) throw new UserError(`image ${url}: sha256 mismatch: expected ${sha256}, got ${actual}; the download was deleted`);
    await rename(partial, dest);
    return dest;
  } finally {
    await rm(partial, { force: true });
  }
}
