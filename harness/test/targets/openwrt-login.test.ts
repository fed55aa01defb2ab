import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { LoginError, openwrtLogin, startAgent } from '../../src/targets/openwrt-login.js';
import { PtyConsole } from '../../src/targets/pty-console.js';
import { ConsoleShell } from '../../src/targets/shell-protocol.js';

// The console side is busybox ash behind a real pseudo-terminal, as on OpenWrt (whose
// procd prints the Enter prompt and then starts ash); the agent really is written
// through the interactive shell's line editor and takes the console over.
const dir = mkdtempSync(join(tmpdir(), 'hil-owrt-login-'));
const script = (name: string, body: string) => {
  const f = join(dir, name);
  writeFileSync(f, body);
  return f;
};
const procdConsole = script('procd.sh', `echo 'Please press Enter to activate this console.'
read -r _
export PS1='root@OpenWrt:~# '
exec busybox sh -i
`);
const boardShell = script('board.sh', "export PS1='root@board:~# '\nexec busybox sh -i\n");
const loginConsole = script('login.sh', "printf 'OpenWrt login: '\nsleep 30\n");

let con: PtyConsole | undefined;
afterEach(async () => {
  await con?.kill();
  con = undefined;
});
// The "DUT" here is this host's shell: the agent it was given landed in this host's /tmp.
afterAll(() => rmSync('/tmp/hil-agent', { force: true }));

describe('OpenWrt console login', () => {
  it('presses Enter, writes the agent through ash, and the framed shell works', async () => {
    con = new PtyConsole('busybox', ['sh', procdConsole], join(dir, 'ok.log'));
    const shell = new ConsoleShell(con, 5000);
    await openwrtLogin(con, 10_000);
    const banner = await shell.waitReady(10_000);
    expect(banner.kernel).toBeTruthy();
    const r = await shell.run('printf "a\\nb"; echo err >&2; exit_code() { return 3; }; exit_code');
    expect(r).toMatchObject({ stdout: 'a\nb', stderr: 'err\n', exitCode: 3 });
  });

  it('a login prompt instead of OpenWrt\'s Enter prompt is a one-line error', async () => {
    con = new PtyConsole('busybox', ['sh', loginConsole], join(dir, 'login.log'));
    const e = await openwrtLogin(con, 10_000).catch((x: Error) => x);
    expect(e).toBeInstanceOf(LoginError);
    expect((e as Error).message).toMatch(/boots to a login prompt, not OpenWrt's "Please press Enter to activate this console."/);
  });

  it('on a board the agent leaves nothing behind when it ends: neither itself nor its stderr file', async () => {
    con = new PtyConsole('busybox', ['sh', boardShell], join(dir, 'board.log'));
    const shell = new ConsoleShell(con, 5000);
    await startAgent(con, false);
    await shell.waitReady(10_000);
    // The agent evaluates commands in its own shell: $$ is its pid, which names its stderr file.
    const r = await shell.run('echo $$; echo err >&2');
    const errFile = join(tmpdir(), `.hil-stderr.${r.stdout.trim()}`);
    expect(r.stderr).toBe('err\n');
    expect(existsSync(errFile)).toBe(true);
    expect(existsSync('/tmp/hil-agent')).toBe(true);
    con.write('hil-bye P stty sane; exit 0\n'); // what a board DUT's stop says
    for (let i = 0; i < 50 && (existsSync('/tmp/hil-agent') || existsSync(errFile)); i++) await new Promise((res) => setTimeout(res, 100));
    expect(existsSync('/tmp/hil-agent')).toBe(false);
    expect(existsSync(errFile)).toBe(false);
  });
});
