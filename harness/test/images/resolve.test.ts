import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseImageRef } from '../../src/images/image-ref.js';
import { detectLayout, readHead } from '../../src/images/layout.js';
import { createOverlay } from '../../src/images/overlay.js';
import { resolveImage } from '../../src/images/resolve.js';
import { arm64Image, gptEfiDisk, mbrDisk } from './disk-images.js';

const dir = () => mkdtempSync(join(tmpdir(), 'hil-img-'));
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

// Downloads and unpacked images go to a cache of the test's own (restored for other files).
const savedCache = process.env.HIL_CACHE;
process.env.HIL_CACHE = dir();
afterAll(() => {
  if (savedCache === undefined) delete process.env.HIL_CACHE;
  else process.env.HIL_CACHE = savedCache;
});

describe('image layouts', () => {
  it('a tar archive (a rootfs tarball, decompressed) is told by its ustar magic', async () => {
    const d = dir();
    writeFileSync(join(d, 'f'), 'x');
    await execa('tar', ['-cf', join(d, 'rootfs.tar'), '-C', d, 'f']);
    expect(detectLayout(await readHead(join(d, 'rootfs.tar')))).toEqual({ kind: 'tar' });
  });

  it('tells MBR, GPT with an ESP, arm64 kernels and unknown files apart', async () => {
    const d = dir();
    mbrDisk(join(d, 'bios.img'));
    gptEfiDisk(join(d, 'efi.img'));
    arm64Image(join(d, 'Image'));
    writeFileSync(join(d, 'junk'), 'not an image');
    expect(detectLayout(await readHead(join(d, 'bios.img')))).toEqual({ kind: 'disk', table: 'mbr', efi: false });
    expect(detectLayout(await readHead(join(d, 'efi.img')))).toEqual({ kind: 'disk', table: 'gpt', efi: true });
    expect(detectLayout(await readHead(join(d, 'Image')))).toEqual({ kind: 'kernel', arch: 'aarch64' });
    expect(detectLayout(await readHead(join(d, 'junk')))).toEqual({ kind: 'unknown' });
  });

  it('picks the QEMU profile from the image: BIOS, EFI, or armsr by name', async () => {
    const d = dir();
    mbrDisk(join(d, 'openwrt-x86-64-generic-ext4-combined.img'));
    gptEfiDisk(join(d, 'openwrt-x86-64-generic-ext4-combined-efi.img'));
    gptEfiDisk(join(d, 'openwrt-armsr-armv8-generic-ext4-combined-efi.img'));
    arm64Image(join(d, 'openwrt-armsr-armv8-generic-kernel.bin'));
    const p = async (f: string) => (await resolveImage(parseImageRef(join(d, f), d))).profile;
    expect(await p('openwrt-x86-64-generic-ext4-combined.img')).toBe('openwrt-x86-64');
    expect(await p('openwrt-x86-64-generic-ext4-combined-efi.img')).toBe('openwrt-x86-64-efi');
    expect(await p('openwrt-armsr-armv8-generic-ext4-combined-efi.img')).toBe('openwrt-armsr-armv8');
    expect(await p('openwrt-armsr-armv8-generic-kernel.bin')).toBe('openwrt-armsr-armv8');
  });

  it('errors name the file and the reason', async () => {
    const d = dir();
    writeFileSync(join(d, 'junk.img'), 'x'.repeat(4096));
    await expect(resolveImage(parseImageRef(join(d, 'missing.img'), d))).rejects.toThrow(`image not found: ${join(d, 'missing.img')}`);
    await expect(resolveImage(parseImageRef('junk.img', d))).rejects.toThrow(/junk\.img: unknown image layout: not gzip, no MBR or GPT partition table/);
    expect(() => parseImageRef('https://example.invalid/x.img', d)).toThrow(/a URL needs its sha256/);
  });
});

describe('.img.gz with trailing data, as OpenWrt ships them', () => {
  it('decompresses the gzip stream and ignores the metadata after it', async () => {
    const d = dir();
    const raw = mbrDisk(join(d, 'raw.img'));
    const gz = join(d, 'openwrt-x86-64-generic-squashfs-combined.img.gz');
    writeFileSync(gz, gzipSync(raw));
    appendFileSync(gz, Buffer.concat([Buffer.from('FWx0'), Buffer.alloc(300, 0x5a)]));
    const r = await resolveImage(parseImageRef(gz, d));
    expect(r).toMatchObject({ kind: 'disk', firmware: 'bios', profile: 'openwrt-x86-64' });
    expect(sha(readFileSync((r as { path: string }).path))).toBe(sha(raw));
  });
});

describe('URL images, pinned by sha256', () => {
  let server: Server;
  let base: string;
  let requests = 0;
  const d = dir();
  const raw = mbrDisk(join(d, 'served.img'));
  const body = gzipSync(raw);
  beforeAll(async () => {
    server = createServer((req, res) => {
      requests++;
      if (req.url === '/openwrt.img.gz') res.end(body);
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('is downloaded once, verified, cached', async () => {
    const ref = parseImageRef(`${base}/openwrt.img.gz#sha256=${sha(body)}`, d);
    const r1 = await resolveImage(ref);
    const r2 = await resolveImage(ref);
    expect(requests).toBe(1);
    expect(r2).toEqual(r1);
    expect(sha(readFileSync((r1 as { path: string }).path))).toBe(sha(raw));
  });

  it('a checksum mismatch is an error and nothing is kept', async () => {
    const wrong = 'f'.repeat(64);
    await expect(resolveImage(parseImageRef(`${base}/openwrt.img.gz#sha256=${wrong}`, d))).rejects.toThrow(
      `sha256 mismatch: expected ${wrong}, got ${sha(body)}; the download was deleted`,
    );
    expect(readdirSync(join(process.env.HIL_CACHE!, 'downloads', wrong))).toEqual([]);
    await expect(resolveImage(parseImageRef(`${base}/gone.img#sha256=${wrong}`, d))).rejects.toThrow(/download failed: HTTP 404/);
  });
});

describe('copy-on-write overlays', () => {
  it('the guest writes to its overlay; the cached image never changes', async () => {
    const d = dir();
    const base = join(d, 'base.img');
    const before = sha(mbrDisk(base));
    const a = await createOverlay(base, `hil-test-${process.pid}-a`);
    const b = await createOverlay(base, `hil-test-${process.pid}-b`);
    const info = JSON.parse((await execa('qemu-img', ['info', '--output=json', a.path])).stdout);
    expect(info).toMatchObject({ format: 'qcow2', 'backing-filename': base, 'backing-filename-format': 'raw' });
    await execa('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0xab 0 64k', a.path]);
    const read = await execa('qemu-io', ['-f', 'qcow2', '-c', 'read -P 0xab 0 64k', a.path]);
    expect(read.stdout).toMatch(/read 65536\/65536 bytes/);
    const other = await execa('qemu-io', ['-f', 'qcow2', '-c', 'read -P 0xab 0 64k', b.path], { reject: false });
    expect(other.stdout).toMatch(/Pattern verification failed/);
    expect(sha(readFileSync(base))).toBe(before);
    await a.remove();
    await b.remove();
    expect(existsSync(a.path) || existsSync(b.path)).toBe(false);
  });
});
