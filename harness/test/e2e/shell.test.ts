import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { leftovers } from './leftovers.js';
import { checkJobControl, onTerminal } from './terminal.js';

const root = new URL('../../../', import.meta.url).pathname;
const hilJs = join(root, 'harness/bin/hil.js');
const hil = (args: string[]) => execa(process.execPath, [hilJs, ...args], { cwd: root, reject: false });

describe('maintainer workflow', () => {
  it('hil shell: the configured DUT on this terminal, hil exec drives the LAN host, Ctrl-] tears it all down', async () => {
    const t = onTerminal(['shell', 'scenarios/sw-offload.yaml']);
    await t.waitFor(/this terminal is the DUT console/);
    t.p.write('\r');
    let at = await t.waitFor(/dut# /);
    t.p.write('nft list flowtables\r');
    at = await t.waitFor(/flowtable ft \{[\s\S]*dut# /, at);

    const sessions = await hil(['sessions']);
    expect(sessions.stdout).toMatch(/ sw-offload  pid \d+/);
    const lan = await hil(['exec', 'lan', '--', 'ip', '-4', '-o', 'addr', 'show']);
    expect(lan.exitCode).toBe(0);
    expect(lan.stdout).toMatch(/192\.168\.1\.2\//);
    // The LAN host reaches the WAN host through the DUT the user is typing on.
    expect((await hil(['exec', 'lan', '--', 'ping', '-c', '1', '-W', '5', '10.99.0.1'])).exitCode).toBe(0);
    expect((await hil(['exec', 'mars', '--', 'true'])).stderr).toMatch(/usage: hil exec/);

    t.p.write('\x1d');
    expect(await t.exited).toBe(0);
    expect(t.screen()).toMatch(/detached; tearing it down/);
    expect((await hil(['sessions'])).stdout).toBe('no live labs');
    expect((await hil(['exec', 'lan', '--', 'true'])).stderr).toMatch(/no live lab/);
    expect(await leftovers()).toEqual([]);
  }, 180_000);

  it('hil shell: the console is the shell\'s controlling terminal: Ctrl-C ends a running ping, Ctrl-Z stops it', async () => {
    const t = onTerminal(['shell', 'scenarios/hw-fallback.yaml']);
    const screen = await checkJobControl(t);
    expect(screen).not.toMatch(/can't access tty|job control turned off/);
    t.p.write('\x1d');
    expect(await t.exited).toBe(0);
    expect(await leftovers()).toEqual([]);
  }, 300_000);

  it('hil shell: Ctrl-C while the lab comes up, or the terminal going away (SIGHUP) once it is up, tears the lab down', async () => {
    const a = onTerminal(['shell', 'scenarios/sw-offload.yaml']);
    await a.waitFor(/sw-offload \[[\d.]+s\] (lab|boot)/);
    a.p.write('\x03');
    await a.waitFor(/SIGINT: stopping, tearing the lab down/);
    expect(await a.exited).toBe(1);
    expect(await leftovers()).toEqual([]);

    // The terminal itself goes away (its master side closed, then SIGHUP): nothing can be written to it any more.
    const b = onTerminal(['shell', 'scenarios/sw-offload.yaml']);
    await b.waitFor(/this terminal is the DUT console/);
    (b.p as unknown as { destroy(): void }).destroy();
    await b.exited;
    expect(await leftovers()).toEqual([]);
  }, 180_000);

  it('hil run --keep-on-failure: the failed lab stays up to attach to and exec in, until hil down', async () => {
    const run = execa(process.execPath, [hilJs, 'run', 'harness/test/fixtures/failing-scenario.yaml', '--keep-on-failure'], { cwd: root, reject: false });
    let err = '';
    run.stderr!.on('data', (d) => (err += d));
    const end = Date.now() + 120_000;
    while (!/kept 1 failed lab\(s\) up/.test(err)) {
      if (Date.now() > end || run.exitCode !== null) throw new Error(`no kept lab:\n${err}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const id = /hil down (\S+)/.exec(err)![1]!;
    const wan = await hil(['exec', '--session', id, 'wan', '--', 'ip', '-4', '-o', 'addr', 'show']);
    expect(wan.stdout).toMatch(/10\.99\.0\.1\//);

    const a = onTerminal(['attach', id]);
    await a.waitFor(/attached to /);
    a.p.write('\r');
    const at = await a.waitFor(/dut# /);
    a.p.write('echo hi-from-$((40+2))\r');
    await a.waitFor(/hi-from-42/, at);
    a.p.write('\x1d');
    expect(await a.exited).toBe(0);
    expect((await hil(['sessions'])).stdout).toContain(id);

    // A terminal that goes away under hil attach (its master closed, then SIGHUP): attach ends
    // cleanly, and the kept lab and its console are as they were for the next attach.
    const b = onTerminal(['attach', id]);
    await b.waitFor(/attached to /);
    (b.p as unknown as { destroy(): void }).destroy();
    expect(await b.exited).toBe(0);
    expect((await hil(['sessions'])).stdout).toContain(id);
    const c = onTerminal(['attach', id]);
    await c.waitFor(/attached to /);
    c.p.write('\r');
    await c.waitFor(/dut# /);
    c.p.write('\x1d');
    expect(await c.exited).toBe(0);

    expect((await hil(['down', id.replace(/-failing-scenario$/, '')])).stdout).toMatch(/down: .* \(failing-scenario\)/);
    const r = await run;
    expect(r.exitCode).toBe(1);
    expect(err).toMatch(/failing-scenario: lab torn down/);
    expect(await leftovers()).toEqual([]);
  }, 180_000);
});
