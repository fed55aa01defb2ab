import type { PackageManager } from './offload-modules.js';

/**
 * Installed version of a package from the package manager's own output:
 *   opkg list-installed NAME   ->  "kmod-nft-offload - 6.6.73-r1"
 *   apk list --installed NAME  ->  "kmod-nft-offload-6.6.86-r1 x86_64 {kmod-nft-offload} (GPL-2.0-only) [installed]"
 * null when it is not installed.
 */
export function installedVersion(pm: PackageManager, name: string, output: string): string | null {
  for (const line of output.split('\n')) {
    if (pm === 'opkg') {
      const m = /^(\S+) - (\S+)/.exec(line.trim());
      if (m && m[1] === name) return m[2]!;
    } else {
      const m = /^(\S+)\s.*\[installed\]/.exec(line.trim());
      if (m && m[1]!.startsWith(`${name}-`)) {
        const rest = m[1]!.slice(name.length + 1);
        // apk's "name-version": the version starts with a digit (package names may contain "-<letters>").
        if (/^\d/.test(rest)) return rest;
      }
    }
  }
  return null;
}

export function listInstalledCommand(pm: PackageManager, name: string): string {
  return pm === 'opkg' ? `opkg list-installed ${name}` : `apk list --installed ${name}`;
}

/** Local package files pushed to the DUT are installed without any repository. */
export function installFilesCommand(pm: PackageManager, files: string[]): string {
  return pm === 'opkg' ? `opkg install ${files.join(' ')}` : `apk add --allow-untrusted --no-network ${files.join(' ')}`;
}
