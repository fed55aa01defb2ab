import { readFile } from 'node:fs/promises';
import type { Shell } from './types.js';

// At most 4 escaped bytes each, and a cooked terminal (OpenWrt: no stty) takes lines under 4096 bytes.
const CHUNK = 768;

/** Bytes as printf %b escapes inside single quotes: printable ASCII as is, the rest (and ' and \) as \0NNN. */
export function printfEscape(data: Buffer): string {
  let out = '';
  for (const b of data) out += b >= 0x20 && b <= 0x7e && b !== 0x5c && b !== 0x27 ? String.fromCharCode(b) : `\\0${b.toString(8).padStart(3, '0')}`;
  return out;
}

/**
 * Copies a local file to the DUT over its shell, without network, base64 or a file
 * transfer tool on the DUT: printf %b appends of small chunks, then a size check.
 */
export async function pushFile(shell: Shell, local: string, remote: string): Promise<number> {
  const data = await readFile(local);
  const q = `'${remote.replace(/'/g, `'\\''`)}'`;
  // Not `: > file`: a failed redirection on a special builtin ends a POSIX shell, and the agent with it.
  const first = await shell.run(`cat /dev/null > ${q}`);
  if (first.exitCode !== 0) throw new Error(`cannot write ${remote} on the DUT: ${first.stderr.trim()}`);
  for (let off = 0; off < data.length; off += CHUNK) {
    const r = await shell.run(`printf '%b' '${printfEscape(data.subarray(off, off + CHUNK))}' >> ${q}`);
    if (r.exitCode !== 0) throw new Error(`writing ${remote} on the DUT failed at byte ${off}: ${r.stderr.trim()}`);
  }
  const size = Number((await shell.run(`wc -c < ${q}`)).stdout.trim());
  if (size !== data.length) throw new Error(`${remote} on the DUT has ${size} bytes, ${local} has ${data.length}`);
  return data.length;
}
