import type { PackageManager } from '../platforms/offload-modules.js';

/** An installed package as the image's own package database records it. */
export interface InstalledPackage {
  name: string;
  version: string;
  /** Absolute paths of the files it installed. */
  files: string[];
}

export interface PackageDb {
  manager: PackageManager;
  packages: InstalledPackage[];
}

/** RFC 822-like stanzas separated by blank lines; continuation lines (leading space) are dropped. */
function stanzas(text: string): Map<string, string>[] {
  const out: Map<string, string>[] = [];
  for (const block of text.split(/\n\s*\n/)) {
    const m = new Map<string, string>();
    for (const line of block.split('\n')) {
      const kv = /^([A-Za-z0-9-]+):\s?(.*)$/.exec(line);
      if (kv) m.set(kv[1]!, kv[2]!);
    }
    if (m.size) out.push(m);
  }
  return out;
}

/**
 * opkg's records: `/usr/lib/opkg/status` (one stanza per package; `Status: install user
 * installed`) and `/usr/lib/opkg/info/NAME.list` (one installed path per line).
 */
export function parseOpkg(status: string, list: (name: string) => string | undefined): PackageDb {
  const packages: InstalledPackage[] = [];
  for (const s of stanzas(status)) {
    const name = s.get('Package');
    const st = (s.get('Status') ?? '').split(/\s+/);
    if (!name || st[st.length - 1] !== 'installed') continue;
    const files = (list(name) ?? '').split('\n').map((l) => l.trim().split('\t')[0]!).filter((l) => l.startsWith('/'));
    packages.push({ name, version: s.get('Version') ?? '', files });
  }
  return { manager: 'opkg', packages };
}

/**
 * apk's record, `/lib/apk/db/installed` (OpenWrt 25.x): per package `P:` name, `V:`
 * version, then `F:` a folder (relative to /) followed by its `R:` files.
 */
export function parseApk(installed: string): PackageDb {
  const packages: InstalledPackage[] = [];
  for (const block of installed.split(/\n\s*\n/)) {
    let pkg: InstalledPackage | undefined;
    let dir = '';
    for (const line of block.split('\n')) {
      const [k, v = ''] = [line.slice(0, 2), line.slice(2)];
      if (k === 'P:') pkg = { name: v, version: '', files: [] };
      else if (!pkg) continue;
      else if (k === 'V:') pkg.version = v;
      else if (k === 'F:') dir = v;
      else if (k === 'R:') pkg.files.push(`/${dir ? `${dir}/` : ''}${v}`);
    }
    if (pkg) packages.push(pkg);
  }
  return { manager: 'apk', packages };
}

/** Where OpenWrt packages list the modules kmodloader loads at boot. */
export const AUTOLOAD = /^\/etc\/modules(-boot)?\.d\/[^/]+$/;

/** The modules a package names: its own `.ko` files and the names in its autoload lists (/etc/modules.d, /etc/modules-boot.d). */
export function modulesNamed(pkg: InstalledPackage, readFile: (path: string) => string | undefined): string[] {
  const names = new Set<string>();
  for (const f of pkg.files) {
    const ko = /^\/lib\/modules\/[^/]+\/(?:.*\/)?([^/]+)\.ko$/.exec(f);
    if (ko) names.add(ko[1]!);
    if (AUTOLOAD.test(f)) {
      for (const line of (readFile(f) ?? '').split('\n')) {
        // A line is "name [parameters]"; OpenWrt writes no comments there, but allow them.
        const n = line.trim().split(/\s+/)[0];
        if (n && !n.startsWith('#')) names.add(n);
      }
    }
  }
  return [...names];
}
