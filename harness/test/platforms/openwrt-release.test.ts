import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseOpenWrtRelease } from '../../src/platforms/openwrt-release.js';

describe('/etc/openwrt_release', () => {
  it('release, revision, target and arch', () => {
    const r = parseOpenWrtRelease(readFileSync(new URL('../fixtures/openwrt_release-23.05.5-x86-64.txt', import.meta.url), 'utf8'));
    expect(r).toEqual({ id: 'OpenWrt', release: '23.05.5', revision: 'r24106-10cc5fcd00', target: 'x86/64', arch: 'x86_64', description: 'OpenWrt 23.05.5 r24106-10cc5fcd00' });
  });

  it('a file that is not OpenWrt\'s gives null', () => {
    expect(parseOpenWrtRelease('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n')).toBeNull();
  });
});
