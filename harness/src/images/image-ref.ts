import { statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { UserError } from '../util/errors.js';

/** Where a DUT image comes from: the built-in image, a local file, a URL pinned by sha256, or a kernel + rootfs pair. */
export type ImageRef =
  | { kind: 'default' }
  | { kind: 'file'; path: string }
  | { kind: 'url'; url: string; sha256: string }
  | { kind: 'pair'; kernel: ImageRef; rootfs: ImageRef };

const SHA256 = /^[0-9a-f]{64}$/i;

function single(ref: string, baseDir: string): ImageRef {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(ref)) {
    const hash = ref.indexOf('#');
    const frag = hash < 0 ? '' : ref.slice(hash + 1).replace(/^sha256[=:]/, '');
    const url = hash < 0 ? ref : ref.slice(0, hash);
    if (!/^https?:\/\//i.test(url)) throw new UserError(`image ${ref}: only http and https URLs are supported`);
    if (!SHA256.test(frag)) throw new UserError(`image ${url}: a URL needs its sha256, as URL#sha256=<64 hex digits>, so what is downloaded is verified`);
    return { kind: 'url', url, sha256: frag.toLowerCase() };
  }
  return { kind: 'file', path: isAbsolute(ref) ? ref : resolve(baseDir, ref) };
}

/**
 * "default", a path, "URL#sha256=HEX", or "kernel=REF,rootfs=REF" (armsr/armvirt kernel +
 * rootfs). Relative paths are taken from baseDir (the scenario's folder, or the cwd for --image).
 */
export function parseImageRef(ref: string, baseDir: string): ImageRef {
  const r = ref.trim();
  if (!r) throw new UserError('image: empty reference');
  if (r === 'default') return { kind: 'default' };
  if (/^kernel=/.test(r)) {
    const m = /^kernel=(.+),rootfs=(.+)$/.exec(r);
    if (!m) throw new UserError(`image ${r}: a pair is written kernel=REF,rootfs=REF`);
    return { kind: 'pair', kernel: single(m[1]!, baseDir), rootfs: single(m[2]!, baseDir) };
  }
  return single(r, baseDir);
}

export function describeRef(r: ImageRef): string {
  switch (r.kind) {
    case 'default': return 'default';
    case 'file': return r.path;
    case 'url': return `${r.url}#sha256=${r.sha256}`;
    case 'pair': return `kernel=${describeRef(r.kernel)},rootfs=${describeRef(r.rootfs)}`;
  }
}

/**
 * `--image` as given on the command line: a local file must be there before anything starts
 * (a usage error, exit 2, naming the path); URLs are fetched later.
 */
export function parseImageOption(ref: string, baseDir: string): ImageRef {
  const r = parseImageRef(ref, baseDir);
  const check = (x: ImageRef) => {
    if (x.kind === 'pair') return [x.kernel, x.rootfs].forEach(check);
    if (x.kind !== 'file') return;
    const st = (() => {
      try {
        return statSync(x.path);
      } catch {
        return undefined;
      }
    })();
    if (!st) throw new UserError(`--image ${x.path}: no such file`);
    if (!st.isFile()) throw new UserError(`--image ${x.path}: not a regular file`);
  };
  check(r);
  return r;
}
