import { describe, expect, it } from 'vitest';
import { installCommand } from '../../src/platforms/offload-modules.js';
import { installedVersion, installFilesCommand } from '../../src/platforms/packages.js';

describe('installed packages', () => {
  it('opkg list-installed: "name - version"', () => {
    const out = 'kmod-nf-flow - 5.15.167-1\nkmod-nft-offload - 5.15.167-1\n';
    expect(installedVersion('opkg', 'kmod-nft-offload', out)).toBe('5.15.167-1');
    expect(installedVersion('opkg', 'kmod-nft-offload', 'kmod-nf-flow - 5.15.167-1\n')).toBeNull();
  });

  it('apk list --installed: the version follows the name, and a longer name is another package', () => {
    const out = 'kmod-nft-offload-6.6.86-r1 x86_64 {kmod-nft-offload} (GPL-2.0-only) [installed]\n';
    expect(installedVersion('apk', 'kmod-nft-offload', out)).toBe('6.6.86-r1');
    expect(installedVersion('apk', 'kmod-nft', out)).toBeNull();
  });

  it('install commands per package manager', () => {
    expect(installCommand('opkg')).toBe('opkg update && opkg install kmod-nft-offload');
    expect(installCommand('apk')).toBe('apk update && apk add kmod-nft-offload');
    expect(installCommand(null)).toMatch(/^opkg update && opkg install kmod-nft-offload .* or apk update && apk add kmod-nft-offload/);
    expect(installFilesCommand('apk', ['/tmp/a.apk'])).toBe('apk add --allow-untrusted --no-network /tmp/a.apk');
  });
});
