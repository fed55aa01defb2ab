import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { modulesNamed, parseApk, parseOpkg } from '../../src/images/package-db.js';

const fx = (f: string) => readFileSync(join(import.meta.dirname, '../fixtures', f), 'utf8');

describe('the image package database', () => {
  // Real records from the OpenWrt fixture (capture-openwrt.mjs): opkg's status and .list files.
  const db = parseOpkg(fx('opkg-status-excerpt.txt'), (name) => {
    try {
      return fx(`opkg-${name}.list`);
    } catch {
      return undefined;
    }
  });
  const autoload: Record<string, string> = {
    '/etc/modules.d/nft-offload': fx('modules.d-nft-offload.txt'),
    '/etc/modules.d/nf-flow': fx('modules.d-nf-flow.txt'),
    '/etc/modules.d/04-crypto-crc32c': fx('modules.d-04-crypto-crc32c.txt'),
    '/etc/modules-boot.d/04-crypto-crc32c': fx('modules.d-04-crypto-crc32c.txt'),
  };
  const named = (n: string) => modulesNamed(db.packages.find((p) => p.name === n)!, (f) => autoload[f]).sort();

  it('reads installed packages and their files from opkg status and lists', () => {
    expect(db.manager).toBe('opkg');
    expect(db.packages.map((p) => `${p.name} ${p.version}`).sort()).toEqual([
      'firewall4 2023-09-01-598d9fbb-1', 'kmod-crypto-crc32c 6.1.82-1', 'kmod-nf-flow 6.1.82-1', 'kmod-nft-offload 6.1.82-1',
    ]);
    expect(db.packages.find((p) => p.name === 'kmod-nft-offload')!.files).toContain('/lib/modules/6.1.82/nft_flow_offload.ko');
  });

  it('a package names its own .ko files and what its autoload lists load', () => {
    expect(named('kmod-nft-offload')).toEqual(['nf_flow_table_inet', 'nft_flow_offload']);
    // nf_flow_table_hw is named by the autoload list of a 6.1 package that ships no such file.
    expect(named('kmod-nf-flow')).toEqual(['nf_flow_table', 'nf_flow_table_hw']);
    // Built into OpenWrt's kernel: no .ko, but the autoload list still names it.
    expect(named('kmod-crypto-crc32c')).toEqual(['crc32c_generic']);
    expect(named('firewall4')).toEqual([]);
  });

  it('skips packages that are not installed', () => {
    const d = parseOpkg('Package: a\nVersion: 1\nStatus: install user not-installed\n\nPackage: b\nVersion: 2\nStatus: install ok installed\n', () => undefined);
    expect(d.packages.map((p) => p.name)).toEqual(['b']);
  });

  it("reads apk's installed database (OpenWrt 25.x): P, V, then F folders and their R files", () => {
    // apk-tools' documented format (no apk-based image is among the fixtures).
    const d = parseApk('C:Q1abc=\nP:kmod-nft-offload\nV:6.6.86-r1\nA:x86_64\nF:etc/modules.d\nR:nft-offload\nF:lib/modules/6.6.86\nR:nf_flow_table_inet.ko\nR:nft_flow_offload.ko\n\nP:firewall4\nV:2024.12.18~18fc0ead-r1\nF:sbin\nR:fw4\n');
    expect(d.manager).toBe('apk');
    expect(d.packages[0]).toEqual({ name: 'kmod-nft-offload', version: '6.6.86-r1', files: ['/etc/modules.d/nft-offload', '/lib/modules/6.6.86/nf_flow_table_inet.ko', '/lib/modules/6.6.86/nft_flow_offload.ko'] });
    expect(d.packages[1]!.files).toEqual(['/sbin/fw4']);
  });
});
