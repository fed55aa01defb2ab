import type Docker from 'dockerode';

/**
 * A container's logs as text. Without a TTY the engine multiplexes stdout and stderr in
 * frames (a stream byte, three zero bytes, a big-endian length, the payload); a buffer that
 * does not start like one is taken as plain text.
 */
export function demuxLogs(buf: Buffer): string {
  const parts: Buffer[] = [];
  let at = 0;
  while (at + 8 <= buf.length && buf[at]! <= 2 && buf[at + 1] === 0 && buf[at + 2] === 0 && buf[at + 3] === 0) {
    const len = buf.readUInt32BE(at + 4);
    parts.push(buf.subarray(at + 8, at + 8 + len));
    at += 8 + len;
  }
  if (at < buf.length) parts.push(buf.subarray(at));
  return Buffer.concat(parts).toString('utf8');
}

/** Never throws: a container already gone has no logs. */
export async function containerLogs(c: Docker.Container): Promise<string> {
  const buf = await c.logs({ stdout: true, stderr: true, follow: false }).catch(() => undefined);
  return buf ? demuxLogs(buf) : '';
}
