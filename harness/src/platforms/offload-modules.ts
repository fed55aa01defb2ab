import type { Shell } from '../targets/types.js';

/** What OpenWrt's kmod-nft-offload ships (nf_flow_table comes with its dependency kmod-nf-flow). */
export const OFFLOAD_PACKAGE = 'kmod-nft-offload';
export const OFFLOAD_MODULES = ['nf_flow_table', 'nf_flow_table_inet', 'nft_flow_offload'] as const;

export type PackageManager = 'opkg' | 'apk';

export interface MissingModules {
  modules: string[];
  package: string;
  install: string;
  /** The package's version when the package manager lists it installed, null when not, undefined where there is none (default image). */
  installed?: string | null;
  /** One line for people: what is absent, whether the package is installed, and the image's own command. */
  hint: string;
}

function hint(modules: string[], pkg: string, install: string, installed: string | null | undefined): string {
  const what = `${modules.join(', ')} absent`;
  if (installed === null) return `${what}: ${pkg} is not installed; install it with \`${install}\` (or build the image with it)`;
  if (installed) return `${what}, though ${pkg} ${installed} is installed (its files were removed, or it is for another kernel); reinstall it: \`${install.replace(/opkg install/, 'opkg install --force-reinstall')}\``;
  return `${what}: they come with ${pkg} (${install})`;
}

export function installCommand(pm: PackageManager | null, pkg = OFFLOAD_PACKAGE): string {
  // The package lists first: an image as built has none, and the install says "Unknown package"
  // (seen on the OpenWrt fixture without kmod-nft-offload). kmods install only on the very
  // kernel build they were made for.
  if (pm === 'opkg') return `opkg update && opkg install ${pkg}`;
  if (pm === 'apk') return `apk update && apk add ${pkg}`;
  return `opkg update && opkg install ${pkg} (OpenWrt 24.10 and older) or apk update && apk add ${pkg} (OpenWrt 25.x)`;
}

/**
 * Offload modules the DUT has neither loaded (or built in: /sys/module) nor on disk
 * for its running kernel; one shell round trip, busybox-compatible.
 */
export async function missingOffloadModules(shell: Shell, pm: PackageManager | null, installed?: string | null): Promise<MissingModules | null> {
  const r = await shell.run(
    `for m in ${OFFLOAD_MODULES.join(' ')}; do [ -d /sys/module/$m ] || [ -n "$(find /lib/modules/$(uname -r) -name "$m.ko*" 2>/dev/null | head -n 1)" ] || echo $m; done`,
  );
  const modules = r.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  if (!modules.length) return null;
  const install = installCommand(pm);
  return { modules, package: OFFLOAD_PACKAGE, install, ...(pm && { installed: installed ?? null }), hint: hint(modules, OFFLOAD_PACKAGE, install, pm ? installed ?? null : undefined) };
}
