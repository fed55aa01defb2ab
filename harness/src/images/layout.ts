import { open } from 'node:fs/promises';

export type Arch = 'x86_64' | 'aarch64';

export type Layout =
  | { kind: 'gzip' }
  | { kind: 'disk'; table: 'mbr' | 'gpt'; efi: boolean }
  | { kind: 'kernel'; arch: Arch }
  | { kind: 'rootfs'; fs: 'squashfs' | 'ext4' }
  /** A tar archive: OpenWrt's *-rootfs.tar.gz, once decompressed. */
  | { kind: 'tar' }
  | { kind: 'unknown' };

// The EFI system partition's type GUID C12A7328-F81F-11D2-BA4B-00A0C93EC93B as stored on disk (mixed endian).
const ESP_GUID = Buffer.from('28732ac11ff8d211ba4b00a0c93ec93b', 'hex');
const SECTOR = 512;

/** What a file is, from its first bytes: the magic numbers of gzip, MBR/GPT, bzImage, arm64 Image, squashfs, ext4, tar. */
export function detectLayout(head: Buffer): Layout {
  if (head[0] === 0x1f && head[1] === 0x8b) return { kind: 'gzip' };
  if (head.length >= 0x206 && head.toString('latin1', 0x202, 0x206) === 'HdrS') return { kind: 'kernel', arch: 'x86_64' };
  if (head.length >= 0x3c && head.toString('latin1', 0x38, 0x3c) === 'ARM\x64') return { kind: 'kernel', arch: 'aarch64' };
  if (head.toString('latin1', 0, 4) === 'hsqs') return { kind: 'rootfs', fs: 'squashfs' };
  if (head.length >= SECTOR * 2 && head.toString('latin1', SECTOR, SECTOR + 8) === 'EFI PART') {
    const entriesLba = Number(head.readBigUInt64LE(SECTOR + 72));
    const count = head.readUInt32LE(SECTOR + 80);
    const size = head.readUInt32LE(SECTOR + 84);
    let efi = false;
    for (let i = 0; i < Math.min(count, 128); i++) {
      const off = entriesLba * SECTOR + i * size;
      if (off + 16 > head.length) break;
      if (head.subarray(off, off + 16).equals(ESP_GUID)) efi = true;
    }
    return { kind: 'disk', table: 'gpt', efi };
  }
  if (head.length >= SECTOR && head[510] === 0x55 && head[511] === 0xaa) {
    const types = [0, 1, 2, 3].map((i) => head[446 + i * 16 + 4]!);
    if (types.some((t) => t !== 0)) return { kind: 'disk', table: 'mbr', efi: types.includes(0xef) };
  }
  if (head.length >= 0x43a && head.readUInt16LE(0x438) === 0xef53) return { kind: 'rootfs', fs: 'ext4' };
  // POSIX (ustar) and GNU tar headers carry "ustar" at offset 257.
  if (head.length >= 262 && head.toString('latin1', 257, 262) === 'ustar') return { kind: 'tar' };
  return { kind: 'unknown' };
}

/** Enough of the file for every check above, GPT partition entries included. */
export async function readHead(path: string, bytes = 64 * 1024): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await fh.read(buf, 0, bytes, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}
