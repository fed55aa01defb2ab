import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FORWARD_LOG_PREFIX, TRAFFIC_MARK, parseForwardLog } from '../../src/probes/forward-log.js';
import { kernelTrouble, parseDmesg, readKernelLog } from '../../src/probes/kernel-log.js';
import { PtyConsole } from '../../src/targets/pty-console.js';
import { ConsoleShell } from '../../src/targets/shell-protocol.js';
import type { Shell } from '../../src/targets/types.js';
import { exec } from '../../src/util/exec.js';

const fixture = readFileSync(new URL('../fixtures/dmesg-forward-log.txt', import.meta.url), 'utf8');
// A captured kernel log with a warning in the boot part and one after the traffic mark.
const lines = fixture.trimEnd().split('\n');
const log = [
  ...lines.slice(0, 100), '[    1.500000] WARNING: CPU: 0 PID: 1 at net/core/dev.c:1 boot_warning+0x1/0x2',
  ...lines.slice(100), '[    9.000000] BUG: kernel NULL pointer dereference, address: 0000000000000000',
].join('\n') + '\n';
const dir = mkdtempSync(join(tmpdir(), 'hil-kernel-log-'));
const file = join(dir, 'dmesg');
writeFileSync(file, log);

// OpenWrt's userland: busybox's shell, grep and cat, nothing else on the PATH.
const bb = join(dir, 'busybox-bin');
mkdirSync(bb);
const busybox = ['/usr/bin/busybox', '/bin/busybox'].find((p) => existsSync(p))!;
for (const applet of ['sh', 'grep', 'cat', 'false', 'echo']) symlinkSync(busybox, join(bb, applet));

/** Runs the command as the DUT would, in a real shell: the host's sh (as the default image's) or OpenWrt's busybox. */
const shellOf = (sh: string[]): Shell => ({
  run: (command: string) => exec(sh[0]!, [...sh.slice(1), '-c', command]),
});

describe.each([['sh'], ['env', `PATH=${bb}`, 'sh']])('readKernelLog through %s', (...sh) => {
  const shell = shellOf(sh);
  const all = parseDmesg(log);

  it('brings over the trouble, and nothing else when no prefix is asked for', async () => {
    const { lines: got, error } = await readKernelLog(shell, `cat ${file}`);
    expect(error).toBeNull();
    expect(kernelTrouble(got)).toEqual(kernelTrouble(all));
    expect(kernelTrouble(got)).toHaveLength(2);
    expect(got.length).toBeLessThan(5);
  });

  it('with the forward log\'s mark and prefix, the forward log reads as from the whole log', async () => {
    const { lines: got } = await readKernelLog(shell, `cat ${file}`, [TRAFFIC_MARK, FORWARD_LOG_PREFIX]);
    expect(parseForwardLog(got)).toEqual(parseForwardLog(all));
    expect(parseForwardLog(got)!.length).toBeGreaterThan(100);
    expect(kernelTrouble(got)).toHaveLength(2);
    expect(got.length).toBeLessThan(all.length - 300);
  });

  it('a transmit queue that timed out is trouble, though the kernel printed no WARNING for it', async () => {
    const stalled = new URL('../fixtures/dmesg-tx-timeout.txt', import.meta.url).pathname;
    const { lines: got } = await readKernelLog(shell, `cat ${file} ${stalled}`);
    const found = kernelTrouble(got).map((l) => l.text);
    expect(found).toHaveLength(4);
    expect(found.slice(2)).toEqual([
      'virtio_net virtio0 eth0: NETDEV WATCHDOG: CPU: 0: transmit queue 0 timed out 5684 ms',
      'virtio_net virtio0 eth0: NETDEV WATCHDOG: CPU: 0: transmit queue 0 timed out 10836 ms',
    ]);
  });

  it('a kernel log with none of it is empty, not an error; a dmesg that fails is an error, with what it said', async () => {
    expect(await readKernelLog(shell, 'echo "[    0.1] nothing here"')).toEqual({ lines: [], error: null });
    expect(await readKernelLog(shell, 'false')).toEqual({ lines: [], error: 'false failed' });
    expect(await readKernelLog(shell, "echo 'dmesg: klogctl: Operation not permitted' >&2; false")).toEqual({ lines: [], error: 'dmesg: klogctl: Operation not permitted' });
  });
});

// The agent evals each command in its own shell: a failing dmesg must not end it.
describe('readKernelLog over the image\'s real agent', () => {
  const agent = new URL('../../../images/default/rootfs/usr/lib/hil/agent', import.meta.url).pathname;
  let con: PtyConsole;
  let shell: ConsoleShell;
  beforeAll(async () => {
    con = new PtyConsole('busybox', ['sh', agent], join(dir, 'console.log'));
    shell = new ConsoleShell(con, 5000);
    await shell.waitReady(5000);
  });
  afterAll(() => con.kill());

  it('reads the log, and the agent still answers after a dmesg that failed', async () => {
    expect(kernelTrouble((await readKernelLog(shell, `cat ${file}`)).lines)).toHaveLength(2);
    expect((await readKernelLog(shell, 'false')).error).not.toBeNull();
    expect((await shell.run('echo alive')).stdout).toBe('alive\n');
  });
});
