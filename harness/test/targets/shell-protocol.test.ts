import { mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PtyConsole } from '../../src/targets/pty-console.js';
import { ConsoleShell, encodeCommand, parseFrame, RS, ShellTimeoutError } from '../../src/targets/shell-protocol.js';

// The image's real agent, run by busybox's shell behind a real pseudo-terminal.
const agent = new URL('../../../images/default/rootfs/usr/lib/hil/agent', import.meta.url).pathname;

describe('frame parsing', () => {
  it('plain and octal-escaped encodings', () => {
    expect(encodeCommand('a1', 'echo hi')).toBe('a1 P echo hi\n');
    expect(encodeCommand('a1', 'printf "a\\nb"\nexit')).toBe('a1 O printf "a\\0134nb"\\0012exit\n');
    expect(encodeCommand('a1', 'echo é')).toBe('a1 O echo \\0303\\0251\n');
  });

  it('waits for the end marker; keeps stdout exact', () => {
    const buf = `noise${RS}x B\nout\n\n${RS}x X 3\nerr\n\n${RS}x Z\nrest`;
    expect(parseFrame(buf.slice(0, 20), 'x')).toBeUndefined();
    expect(parseFrame(buf, 'x')).toMatchObject({ stdout: 'out\n', stderr: 'err\n', exitCode: 3 });
    expect(buf.slice(parseFrame(buf, 'x')!.end)).toBe('rest');
  });
});

describe('ConsoleShell over the real agent', () => {
  let con: PtyConsole;
  let shell: ConsoleShell;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hil-agent-'));
    con = new PtyConsole('busybox', ['sh', agent], join(dir, 'console.log'));
    shell = new ConsoleShell(con, 5000);
    await shell.waitReady(5000);
  });
  afterAll(() => con.kill());

  it('stdout, stderr and exit code apart', async () => {
    const r = await shell.run('echo out; echo err >&2; false');
    expect(r).toMatchObject({ stdout: 'out\n', stderr: 'err\n', exitCode: 1 });
    expect(r.durationMs).toBeGreaterThan(0);
  });

  it('each command has its own stderr and an empty stdin, and sees none of the agent\'s descriptors', async () => {
    expect((await shell.run('echo a-longer-error >&2')).stderr).toBe('a-longer-error\n');
    // The agent keeps one stderr file open: what a command wrote is gone before the next.
    expect(await shell.run('echo short >&2')).toMatchObject({ stdout: '', stderr: 'short\n' });
    expect(await shell.run('true')).toMatchObject({ stdout: '', stderr: '' });
    expect((await shell.run('cat; echo "<$?>"')).stdout).toBe('<0>\n');
    // A program it starts has its stdin, stdout and stderr, not the agent's fds 8 and 9 (the
    // test's own pty may pass on others: only these are the agent's).
    const fds = (await shell.run('ls -1 /proc/self/fd')).stdout.split('\n').filter(Boolean).map(Number);
    expect(fds).toEqual(expect.arrayContaining([0, 1, 2]));
    expect(fds).not.toContain(8);
    expect(fds).not.toContain(9);
  });

  it('output without a trailing newline, quotes, newlines in the command', async () => {
    expect((await shell.run("printf 'a b'")).stdout).toBe('a b');
    expect((await shell.run("x='it''s'\nprintf '%s\\n' \"$x\" 'two'")).stdout).toBe("its\ntwo\n");
  });

  it('concurrent callers are serialised', async () => {
    const rs = await Promise.all([1, 2, 3, 4, 5].map((i) => shell.run(`echo ${i}`)));
    expect(rs.map((r) => r.stdout)).toEqual(['1\n', '2\n', '3\n', '4\n', '5\n']);
  });

  it('a command that outlives its timeout fails, and the shell says it is unusable after', async () => {
    await expect(shell.run('sleep 3', { timeoutMs: 300 })).rejects.toBeInstanceOf(ShellTimeoutError);
    await expect(shell.run('true')).rejects.toThrow(/unusable.*timed out/);
  });
});

// OpenWrt's busybox has no stty: the agent stays on a cooked terminal, where the line
// discipline writes every LF as CR LF. The agent says so in its banner and the host undoes it.
describe('ConsoleShell over the real agent on a cooked terminal (no stty)', () => {
  let con: PtyConsole;
  let shell: ConsoleShell;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hil-agent-cooked-'));
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    for (const t of ['cat', 'uname', 'base64', 'sleep']) symlinkSync(`/bin/${t}`, join(bin, t));
    // bash: busybox's shell would find its own stty applet whatever PATH says. The terminal as
    // a guest's console is before anyone changes it: echo and CR LF on (PtyConsole turns them
    // off for QEMU's own output).
    con = new PtyConsole('sh', ['-c', 'stty onlcr echo; exec env PATH="$0" /bin/bash "$1"', bin, agent], join(dir, 'console.log'));
    shell = new ConsoleShell(con, 5000);
    expect((await shell.waitReady(5000)).tty).toBe('cooked');
  });
  afterAll(() => con.kill());

  it('stdout and stderr come back as the command wrote them, LF not CR LF, long outputs too', async () => {
    const r = await shell.run('echo out; echo err >&2; printf "a\\nb"');
    expect(r).toMatchObject({ stdout: 'out\na\nb', stderr: 'err\n', exitCode: 0 });
    const long = await shell.run('i=0; while [ $i -lt 3000 ]; do echo "line $i"; i=$((i+1)); done');
    expect(long.stdout.split('\n')).toHaveLength(3001);
    expect(long.stdout).not.toContain('\r');
  });
});
