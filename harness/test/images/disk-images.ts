import { writeFileSync } from 'node:fs';

/** Disk images made by the tests themselves: partition tables written byte by byte. */
const SECTOR = 512;

export function mbrDisk(path: string, opts: { type?: number; sizeMiB?: number } = {}): Buffer {
  const buf = Buffer.alloc((opts.sizeMiB ?? 1) << 20);
  const entry = 446;
  buf[entry] = 0x80; // bootable
  buf[entry + 4] = opts.type ?? 0x83; // Linux
  buf.writeUInt32LE(2048, entry + 8);
  buf.writeUInt32LE(buf.length / SECTOR - 2048, entry + 12);
  buf[510] = 0x55;
  buf[511] = 0xaa;
  buf.write('offload-hil test disk', 4096);
  writeFileSync(path, buf);
  return buf;
}

/** GPT with an EFI system partition (as OpenWrt's combined-efi images have) and a Linux one. */
export function gptEfiDisk(path: string): Buffer {
  const buf = Buffer.alloc(1 << 20);
  buf[446 + 4] = 0xee; // protective MBR
  buf[510] = 0x55;
  buf[511] = 0xaa;
  const h = SECTOR;
  buf.write('EFI PART', h, 'latin1');
  buf.writeBigUInt64LE(2n, h + 72); // partition entries at LBA 2
  buf.writeUInt32LE(128, h + 80);
  buf.writeUInt32LE(128, h + 84);
  Buffer.from('28732ac11ff8d211ba4b00a0c93ec93b', 'hex').copy(buf, 2 * SECTOR);
  Buffer.from('af3dc60f838472478e793d69d8477de4', 'hex').copy(buf, 2 * SECTOR + 128);
  writeFileSync(path, buf);
  return buf;
}

/** An arm64 kernel Image header: the "ARM\x64" magic at 0x38 (Documentation/arch/arm64/booting.rst). */
export function arm64Image(path: string): void {
  const buf = Buffer.alloc(4096);
  buf.write('ARM\x64', 0x38, 'latin1');
  writeFileSync(path, buf);
}
