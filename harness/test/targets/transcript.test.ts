import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PtyConsole } from '../../src/targets/pty-console.js';
import { ConsoleShell, RS } from '../../src/targets/shell-protocol.js';
import { Transcript, foldsPath, rawPath, type Fold } from '../../src/targets/transcript.js';
import { addSecret } from '../../src/util/redact.js';

const agent = new URL('../../../images/default/rootfs/usr/lib/hil/agent', import.meta.url).pathname;
const tmp = () => mkdtempSync(join(tmpdir(), 'hil-transcript-'));
const result = (command: string, stdout: string, stderr = '', exitCode = 0, durationMs = 20) => ({ command, stdout, stderr, exitCode, durationMs });

describe('Transcript', () => {
  it('a command at a prompt with its time, stdout, stderr marked, exit status when not 0, duration when long', async () => {
    const path = join(tmp(), 'console.log');
    const t = new Transcript(path);
    t.claim();
    t.ready();
    t.command('echo hi', result('echo hi', 'hi\n'));
    t.command('fw4 reload', result('fw4 reload', '', '[!] falling back\n', 0, 1500));
    t.command('false', result('false', '', '', 1));
    t.note('fault injected: qemu-kill');
    await t.end();
    const text = readFileSync(path, 'utf8');
    // Stamped when each began: fw4 reload "took" 1.5 s, so it began before the DUT was ready.
    expect(text).toMatch(/^\[ +[-+]0\.\d{3}s\] dut# echo hi\nhi\n\[ +-1\.\d{3}s\] dut# fw4 reload\nstderr\| \[!\] falling back\n\[1\.5 s\]\n\[ +[-+]0\.\d{3}s\] dut# false\n\[exit 1\]\n\[hil\] fault injected: qemu-kill\n$/);
    // Not from a console's bytes: the raw log has the commands too.
    expect(readFileSync(rawPath(path), 'utf8')).toContain('dut# fw4 reload\nstderr| [!] falling back');
  });

  it('a sample folds to one line; its full text is in the folds file and the raw log', async () => {
    const path = join(tmp(), 'console.log');
    const t = new Transcript(path);
    const ct = 'ipv4 2 tcp 6 src=1 [OFFLOAD]\nipv4 2 udp 17 src=2\n';
    t.command('cat /proc/net/nf_conntrack', result('cat /proc/net/nf_conntrack', ct), { fold: (r) => `conntrack sample 7: ${r.stdout.split('\n').length - 1} entries` });
    t.command('cat /proc/net/nf_conntrack', result('cat /proc/net/nf_conntrack', ct), { fold: () => { throw new Error('bad'); } });
    await t.end();
    const text = readFileSync(path, 'utf8');
    expect(text.split('\n')[0]).toMatch(/dut# cat \/proc\/net\/nf_conntrack  # conntrack sample 7: 2 entries \(folded 1\)$/);
    expect(text.split('\n')[1]).toMatch(/# \(no summary: bad\) \(folded 2\)$/);
    expect(text).not.toContain('src=1');
    const folds = readFileSync(foldsPath(path), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Fold);
    expect(folds.map((f) => [f.id, f.stdout])).toEqual([[1, ct], [2, ct]]);
    expect(readFileSync(rawPath(path), 'utf8')).toContain('src=1');
  });

  it('joined commands are shown apart, each with its own output; separators never shown', async () => {
    const path = join(tmp(), 'console.log');
    const t = new Transcript(path);
    const cmd = 'cat /proc/net/nf_conntrack && echo --sep-- && nft list flowtables';
    t.command(cmd, result(cmd, 'ct line\n--sep--\ntable inet fw4 {\n}\n'), { parts: '--sep--' });
    t.command(cmd, result(cmd, 'ct line\n--sep--\n{}\n'), { parts: '--sep--', fold: () => 'full sample 3' });
    await t.end();
    const text = readFileSync(path, 'utf8');
    expect(text).toMatch(/dut# cat \/proc\/net\/nf_conntrack\nct line\n\[[^\]]+\] dut# nft list flowtables\ntable inet fw4 \{\n\}\n/);
    expect(text).toMatch(/dut# cat \/proc\/net\/nf_conntrack && nft list flowtables  # full sample 3 \(folded 1\)\n$/);
    expect(text).not.toContain('--sep--');
  });

  it('console bytes go to console.log until an agent claims the console, and again once a person has it; always to the raw log', async () => {
    const path = join(tmp(), 'console.log');
    const t = new Transcript(path);
    t.raw('boot log\n');
    t.claim();
    t.raw(`${RS}1 B\nframe\n`);
    t.output('kernel: eth0 up\n');
    t.release();
    t.output('not shown: the raw bytes are\n');
    t.raw('dut# ls\n');
    await t.end();
    expect(readFileSync(path, 'utf8')).toBe('boot log\nkernel: eth0 up\ndut# ls\n');
    expect(readFileSync(rawPath(path), 'utf8')).toBe(`boot log\n${RS}1 B\nframe\ndut# ls\n`);
  });

  it('secrets are redacted in every file', async () => {
    addSecret('hunter2-transcript');
    const path = join(tmp(), 'console.log');
    const t = new Transcript(path);
    t.command('echo hunter2-transcript', result('echo hunter2-transcript', 'hunter2-transcript\n'), { fold: (r) => r.stdout.trim() });
    await t.end();
    for (const p of [path, rawPath(path), foldsPath(path)]) expect(readFileSync(p, 'utf8')).not.toContain('hunter2-transcript');
  });
});

// The image's real agent behind a real pseudo-terminal: what the transcript makes of its frames.
describe('ConsoleShell writes the transcript', () => {
  let dir: string;
  let con: PtyConsole;
  let shell: ConsoleShell;
  beforeAll(async () => {
    dir = tmp();
    con = new PtyConsole('busybox', ['sh', agent], join(dir, 'console.log'));
    shell = new ConsoleShell(con, 5000);
    await shell.waitReady(5000);
    con.transcript.ready();
  });
  afterAll(() => con.kill());

  it('commands with their outputs, what the DUT printed on its own in between, no frame anywhere', async () => {
    await shell.run('echo out; echo err >&2; false');
    // Printed after its command's frame ended, as a kernel message would be.
    await shell.run('(sleep 0.3; echo late line from the DUT) &');
    await new Promise((r) => setTimeout(r, 800));
    await shell.run('cat /proc/version', { fold: () => 'version sample 1' });
    await shell.run('uname -s');
    await con.kill();
    const text = readFileSync(join(dir, 'console.log'), 'utf8');
    expect(text).not.toContain(RS);
    expect(text).not.toMatch(/^\w+ [PBXZ]\b/m);
    expect(text).not.toContain('HIL-READY');
    expect(text).toMatch(/dut# echo out; echo err >&2; false\nout\nstderr\| err\n\[exit 1\]\n/);
    expect(text).toMatch(/dut# \(sleep 0\.3; echo late line from the DUT\) &\n(.*\n)?late line from the DUT\n.*dut# cat \/proc\/version  # version sample 1 \(folded 1\)\n.*dut# uname -s\nLinux\n/);
    expect(readFileSync(rawPath(join(dir, 'console.log')), 'utf8')).toContain(`${RS}1 B\n`);
  });
});

describe('ConsoleShell after a command it gave up on', () => {
  it('the timeout at the command, then what the DUT printed after it, still shown', async () => {
    const dir = tmp();
    const con = new PtyConsole('busybox', ['sh', agent], join(dir, 'console.log'));
    const shell = new ConsoleShell(con, 5000);
    await shell.waitReady(5000);
    await expect(shell.run('echo started; sleep 1; echo finished late', { timeoutMs: 300 })).rejects.toThrow(/timed out/);
    await new Promise((r) => setTimeout(r, 1500));
    await con.kill();
    const text = readFileSync(join(dir, 'console.log'), 'utf8');
    expect(text).toMatch(/dut# echo started; sleep 1; echo finished late\n\[command "echo started; sleep 1; echo finished late" timed out after 300 ms; its output so far:\nstarted\]\n/);
    expect(text).toMatch(/\]\nfinished late\n/);
    expect(text).not.toContain(RS);
  });
});

describe('ConsoleShell waiting for a restored agent', () => {
  it('its probes\' answers are awaited, not dropped as stale; later answers and a banner nobody waits for are', async () => {
    const dir = tmp();
    const con = new PtyConsole('busybox', ['sh', agent], join(dir, 'console.log'));
    const shell = new ConsoleShell(con, 5000);
    // As after a restore: nobody waits for a banner (this agent prints one; a restored one does not).
    await shell.waitAnswer(5000);
    expect((await shell.run('echo after')).stdout).toBe('after\n');
    await con.kill();
    const text = readFileSync(join(dir, 'console.log'), 'utf8');
    expect(text).toMatch(/dut# echo after\nafter\n/);
    expect(text).not.toContain(RS);
  });
});

describe('ConsoleShell on a cooked terminal that echoes', () => {
  it('a command line echoed before the agent turned echo off (often only its start) is not shown', async () => {
    const dir = tmp();
    const transcript = new Transcript(join(dir, 'console.log'));
    let listener: (d: string) => void = () => {};
    // Answers as OpenWrt's console did: the echo of the line's first part, then the frame.
    const con = {
      transcript, closed: false, exited: new Promise<void>(() => {}),
      onData: (l: (d: string) => void) => ((listener = l), () => {}),
      write: (line: string) => {
        const id = line.split(' ')[0]!;
        setTimeout(() => listener(`${line.slice(0, 20)}${RS}${id} B\r\nout\r\n\r\n${RS}${id} X 0\r\n\r\n${RS}${id} Z\r\n`), 5);
      },
    };
    const shell = new ConsoleShell(con, 2000);
    shell.setTty('cooked');
    expect((await shell.run("printf '%s\\n' out | cat")).stdout).toBe('out\n');
    listener('procd: a line of its own\r\n');
    await transcript.end();
    const text = readFileSync(join(dir, 'console.log'), 'utf8');
    expect(text).toMatch(/^\[[^\]]+\] dut# printf '%s\\n' out \| cat\nout\nprocd: a line of its own\n$/);
  });
});
