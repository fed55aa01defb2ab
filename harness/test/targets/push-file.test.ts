import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushFile } from '../../src/targets/push-file.js';
import { PtyConsole } from '../../src/targets/pty-console.js';
import { ConsoleShell } from '../../src/targets/shell-protocol.js';

// The image's real agent under busybox's shell behind a pseudo-terminal, as on a DUT.
const agent = new URL('../../../images/default/rootfs/usr/lib/hil/agent', import.meta.url).pathname;

describe('pushFile over the console agent', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hil-push-'));
  let con: PtyConsole;
  let shell: ConsoleShell;
  beforeAll(async () => {
    con = new PtyConsole('busybox', ['sh', agent], join(dir, 'console.log'));
    shell = new ConsoleShell(con, 5000);
    await shell.waitReady(5000);
  });
  afterAll(() => con.kill());

  it('copies every byte value exactly, in chunks', async () => {
    const data = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), Buffer.from("it's a \\ test\n"), randomBytes(9000)]);
    const local = join(dir, 'kmod-nft-offload_6.6.73-r1_x86_64.ipk');
    writeFileSync(local, data);
    const remote = join(dir, 'pushed.ipk');
    expect(await pushFile(shell, local, remote)).toBe(data.length);
    expect(readFileSync(remote).equals(data)).toBe(true);
  });

  it('a destination it cannot write is an error', async () => {
    writeFileSync(join(dir, 'x.ipk'), 'x');
    await expect(pushFile(shell, join(dir, 'x.ipk'), '/nonexistent-dir/x.ipk')).rejects.toThrow(/cannot write \/nonexistent-dir\/x\.ipk on the DUT/);
  });
});
