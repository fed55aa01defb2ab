import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/report/types.js';
import { cacheDir } from '../../src/util/paths.js';
import { leftovers } from './leftovers.js';
import { gptEfiDisk } from '../images/disk-images.js';

const root = new URL('../../../', import.meta.url).pathname;
const hil = (args: string[]) => execa('node', [join(root, 'harness/bin/hil.js'), ...args], { reject: false, cwd: root });
const tmp = () => mkdtempSync(join(tmpdir(), 'hil-owrt-e2e-'));
const readReport = (dir: string) => JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as RunReport;
const IMAGE = process.env.HIL_OPENWRT_IMAGE;

describe('--image, end to end', () => {
  it('an image that is no OpenWrt (a bare kernel, no root filesystem): status error, one-line reason, nothing left', async () => {
    // Debian's own bzImage from the default image's build cache: it boots through the
    // openwrt-x86-64 profile and panics for want of a root filesystem.
    const deb = readdirSync(join(cacheDir(), 'debs')).find((f) => f.startsWith('linux-image-'))!;
    const d = tmp();
    await execa('sh', ['-c', `dpkg-deb --fsys-tarfile "$1" | tar -x -C "$2" --wildcards './boot/vmlinuz-*'`, 'sh', join(cacheDir(), 'debs', deb), d]);
    const kernel = join(d, 'boot', readdirSync(join(d, 'boot'))[0]!);
    const out = tmp();
    const r = await hil(['run', 'scenarios/openwrt/sw-offload-openwrt.yaml', '--image', kernel, '--out', out]);
    expect(r.exitCode).toBe(1);
    const s = readReport(out).scenarios[0]!;
    expect(s.status).toBe('error');
    expect(s.reason).toMatch(/^the DUT kernel panicked while booting: Kernel panic - not syncing: VFS: Unable to mount root fs/);
    expect(await leftovers()).toEqual([]);
  }, 120_000);

  it('a GPT disk with an empty ESP, named like a combined-efi image: OVMF from an overlay, then a one-line reason', async () => {
    const d = tmp();
    const img = join(d, 'openwrt-x86-64-generic-ext4-combined-efi.img');
    gptEfiDisk(img);
    const before = readFileSync(img);
    const out = tmp();
    const r = await hil(['run', 'scenarios/openwrt/sw-offload-openwrt.yaml', '--image', img, '--out', out]);
    expect(r.exitCode).toBe(1);
    const s = readReport(out).scenarios[0]!;
    expect(s).toMatchObject({ status: 'error', reason: expect.stringMatching(/^the firmware found nothing to boot on the image/) });
    expect(readFileSync(s.transcript!, 'utf8')).toMatch(/if=pflash,format=raw,readonly=on,file=\/usr\/share\/OVMF\/OVMF_CODE_4M\.fd/);
    expect(readFileSync(img).equals(before)).toBe(true);
    expect(await leftovers()).toEqual([]);
  }, 180_000);

  it('--image naming a file that is not there: a usage error before anything starts', async () => {
    const out = tmp();
    const r = await hil(['run', 'scenarios/openwrt/sw-offload-openwrt.yaml', '--image', '/nonexistent/openwrt.img.gz', '--out', out]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('--image /nonexistent/openwrt.img.gz: no such file');
    expect(existsSync(join(out, 'report.json'))).toBe(false);
  });
});

// The shipped OpenWrt scenarios on a real OpenWrt image. No image can be downloaded on the
// machines this project is built on, so without HIL_OPENWRT_IMAGE this suite says so and skips.
describe.runIf(IMAGE)(`OpenWrt image ${IMAGE ?? ''}`, () => {
  it('sw-offload-openwrt, hw-fallback-openwrt and module-missing-openwrt pass', async () => {
    const out = tmp();
    const r = await hil(['run', 'scenarios/openwrt/', '--image', IMAGE!, '--out', out, '--jobs', '1']);
    const rep = readReport(out);
    const by = Object.fromEntries(rep.scenarios.map((s) => [s.name, s]));
    for (const s of rep.scenarios) expect(s.status, `${s.name}: ${s.reason ?? s.assertions.filter((a) => !a.passed).map((a) => a.actual).join('; ')}`).toBe('passed');
    expect(r.exitCode).toBe(0);
    expect(by['sw-offload-openwrt']!.platform).toMatchObject({ name: 'openwrt' });
    expect(by['hw-fallback-openwrt']!.offload.warning).toBe('[!] Hardware flow offloading unavailable, falling back to software offloading');
    expect(readFileSync(by['hw-fallback-openwrt']!.systemLog!, 'utf8')).not.toMatch(/Hardware flow offloading unavailable/);
    expect(by['module-missing-openwrt']!.offload.missing!.install).toMatch(/^(opkg install|apk add) kmod-nft-offload$/);
    expect(await leftovers()).toEqual([]);
  }, 900_000);
});
describe.skipIf(IMAGE)('OpenWrt image', () => {
  it.skip('skipped: HIL_OPENWRT_IMAGE is not set (an OpenWrt image file, or URL#sha256=HEX)', () => {});
});
