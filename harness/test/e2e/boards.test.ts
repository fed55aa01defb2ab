import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/report/types.js';
import { createStandin, STANDIN_LAN, type Standin } from '../boards/standin.js';
import { outputOf, readableTranscript } from './transcript-shape.js';
import { leftovers } from './leftovers.js';
import { onTerminal } from './terminal.js';

// The board target against a stand-in VM (harness/test/boards/standin.ts) through the real CLI.
const root = new URL('../../../', import.meta.url).pathname;
const hil = async (args: string[], env: Record<string, string> = {}) => {
  const r = await execa('node', [join(root, 'harness/bin/hil.js'), ...args], { reject: false, cwd: root, env: { CI: 'true', ...env } });
  // A run that wrote no report says why on stderr: show it rather than a missing file.
  const out = args[args.indexOf('--out') + 1];
  if (args[0] === 'run' && out && !existsSync(join(out, 'report.json'))) throw new Error(`hil ${args.join(' ')}: exit ${r.exitCode}, no report: ${r.stderr}`);
  return r;
};
const tmp = () => mkdtempSync(join(tmpdir(), 'hil-e2e-board-'));
const readReport = (dir: string) => JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as RunReport;
const PASSWORD = 'hunter2-stand-in';
const made: Standin[] = [];

function boardFile(dir: string, sb: Standin, name: string, parts: { console?: 'serial' | 'tcp'; ssh?: { password: string }; bootMs?: number; flashCheck?: string }): string {
  const lines = [`name: ${name}`];
  if (parts.console === 'serial') lines.push('console:', `  serial: { device: ${sb.tty}, baud: 115200 }`);
  if (parts.console === 'tcp') lines.push('console:', `  tcp: { host: 127.0.0.1, port: ${sb.tcpPort} }`);
  if (parts.ssh) lines.push('ssh:', `  host: ${STANDIN_LAN}`, '  password: { env: HIL_TEST_BOARD_PW }', ...(sb.hostKey ? [`  hostKey: "${sb.hostKey}"`] : []));
  lines.push('power:', `  on: ${JSON.stringify(sb.powerOn)}`, `  off: ${JSON.stringify(sb.powerOff)}`);
  lines.push(`cables: { lan: ${sb.cables.lan}, wan: ${sb.cables.wan} }`);
  lines.push(`timeouts: { bootMs: ${parts.bootMs ?? 90000} }`);
  if (parts.flashCheck) lines.push('flash:', '  timeoutMs: 20000', '  check: { command: cat /etc/hil-firmware, expect: ' + JSON.stringify(parts.flashCheck) + ' }');
  const f = join(dir, `${name}.yaml`);
  writeFileSync(f, lines.join('\n') + '\n');
  return f;
}

/** Every file under dir, as text. */
function allText(dir: string): string {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((f) => join(dir, f)).filter((f) => statSync(f).isFile()).map((f) => readFileSync(f, 'latin1')).join('\n');
}

// A test that failed half-way still takes its stand-in down (destroy is idempotent).
afterAll(async () => {
  for (const sb of made) await sb.destroy();
});

describe('board target, on a stand-in board', () => {
  it('an SSH board with a serial console runs a shipped scenario; secrets stay out of every output; the cables come back as they were', async () => {
    const sb = await createStandin({ id: 'a1', serial: 'pty', password: PASSWORD });
    made.push(sb);
    // A cable with an address and an MTU of its own: both must be back after the run.
    await execa('ip', ['addr', 'add', '198.18.7.1/24', 'dev', sb.cables.lan]);
    await execa('ip', ['link', 'set', sb.cables.lan, 'mtu', '1400', 'up']);
    const before = (await execa('ip', ['-j', 'addr', 'show', 'dev', sb.cables.lan])).stdout;
    const dir = tmp();
    const board = boardFile(dir, sb, 'standin-ssh', { console: 'serial', ssh: { password: PASSWORD } });
    const out = join(dir, 'out');
    const r = await hil(['run', 'scenarios/sw-offload.yaml', '--board', board, '--out', out], { HIL_TEST_BOARD_PW: PASSWORD });
    const rep = readReport(out);
    const s = rep.scenarios[0]!;
    if (process.env.HIL_TEST_VERBOSE) console.log(JSON.stringify({ board: s.board, boot: s.boot, steps: s.steps, flows: s.flows }, null, 1), r.stderr);
    expect(`${s.status} ${s.reason ?? ''}`.trim()).toBe('passed');
    expect(r.exitCode).toBe(0);
    expect(s.board).toMatchObject({ name: 'standin-ssh', shell: 'ssh', hostKey: sb.hostKey });
    expect(s.boot!.kind).toBe('board');
    expect(s.accel).toBe('board');
    // The console was captured from power-on: the board's own prompt is in the transcript.
    expect(readFileSync(s.transcript!, 'latin1')).toMatch(/Please press Enter to activate this console/);
    // Commands over SSH are in the console's transcript, at a prompt, with their outputs.
    expect(outputOf(readableTranscript(s.transcript!), /^uname -r$/)).toMatch(/^\d+\.\d+\S*$/);
    expect(allText(out) + r.stdout + r.stderr).not.toContain(PASSWORD);
    const after = (await execa('ip', ['-j', 'addr', 'show', 'dev', sb.cables.lan])).stdout;
    const shape = (j: string) => JSON.parse(j).map((l: { ifname: string; mtu: number; flags: string[]; addr_info: { local: string; prefixlen: number; scope: string }[] }) => ({
      ifname: l.ifname, mtu: l.mtu, up: l.flags.includes('UP'), addrs: l.addr_info.filter((a) => a.scope !== 'link').map((a) => `${a.local}/${a.prefixlen}`),
    }));
    expect(shape(after)).toEqual(shape(before));
    await sb.destroy();
    expect(await leftovers()).toEqual([]);
  }, 300_000);

  it('a serial-only board over a TCP console server runs the scenario through the console agent, and leaves its console at a shell', async () => {
    const sb = await createStandin({ id: 'b1', serial: 'tcp', tcpPort: 47311 });
    made.push(sb);
    const dir = tmp();
    const board = boardFile(dir, sb, 'standin-serial', { console: 'tcp' });
    const out = join(dir, 'out');
    const r = await hil(['run', 'scenarios/sw-offload.yaml', '--board', board, '--out', out]);
    const s = readReport(out).scenarios[0]!;
    expect(`${s.status} ${s.reason ?? ''}`.trim()).toBe('passed');
    expect(r.exitCode).toBe(0);
    expect(s.board).toMatchObject({ shell: 'console', console: 'tcp 127.0.0.1:47311' });
    const transcript = readableTranscript(s.transcript!);
    expect(outputOf(transcript, /^uname -r$/)).toMatch(/^\d+\.\d+\S*$/);
    expect(transcript).toMatch(/writing the command agent/);
    expect(transcript).toMatch(/power off:/);
    await sb.destroy();
    expect(await leftovers()).toEqual([]);
  }, 300_000);

  it('hil shell --board on a board reached only by SSH: a login shell over SSH on this terminal, in the configured board; Ctrl-] tears the lab down', async () => {
    const sb = await createStandin({ id: 'j1', serial: 'pty', password: PASSWORD });
    made.push(sb);
    const dir = tmp();
    const board = boardFile(dir, sb, 'standin-ssh-only', { ssh: { password: PASSWORD } });
    const t = onTerminal(['shell', '--board', board, 'scenarios/sw-offload.yaml'], { CI: 'true', HIL_TEST_BOARD_PW: PASSWORD });
    try {
      await t.waitFor(/this terminal is the DUT console/, 0, 120_000);
      // Busybox's login shell: its banner, then a prompt (followed by a cursor-position query).
      const at = await t.waitFor(/built-in shell[\s\S]*# /);
      // The firewall the run configured is on the board this shell is in.
      t.p.write('nft list flowtables | grep -c flowtable; echo typed-$((40+2))\r');
      await t.waitFor(/\n1\r*\n[\s\S]*typed-42/, at);
      t.p.write('\x1d');
      expect(await t.exited).toBe(0);
    } finally {
      // A failed wait must not leave the lab (and the board's lock) to the next tests: the hangup tears it down.
      t.p.kill('SIGHUP');
      await t.exited;
    }
    expect(t.screen()).not.toContain(PASSWORD);
    await sb.destroy();
    expect(await leftovers()).toEqual([]);
  }, 300_000);

  it('a wrong SSH password is one clear error, and the board is powered off and its cables given back', async () => {
    const sb = await createStandin({ id: 'c1', serial: 'pty', password: PASSWORD });
    made.push(sb);
    const dir = tmp();
    const board = boardFile(dir, sb, 'standin-badpw', { ssh: { password: PASSWORD } });
    const out = join(dir, 'out');
    const r = await hil(['run', 'scenarios/sw-offload.yaml', '--board', board, '--out', out], { HIL_TEST_BOARD_PW: 'not-the-password' });
    const s = readReport(out).scenarios[0]!;
    expect(s.status).toBe('error');
    expect(s.reason).toMatch(/^SSH root@192\.168\.1\.254:22: the board refused the login \(password not accepted\)$/);
    expect(r.exitCode).toBe(1);
    expect(allText(out) + r.stdout + r.stderr).not.toContain('not-the-password');
    // Powered off: the stand-in's QEMU is gone; the cables are back in this namespace.
    expect((await execa('pgrep', ['-f', 'hil-standin-c1'], { reject: false })).stdout).toBe('');
    for (const c of Object.values(sb.cables)) expect((await execa('ip', ['link', 'show', 'dev', c], { reject: false })).exitCode).toBe(0);
    await sb.destroy();
    expect(await leftovers()).toEqual([]);
  }, 300_000);

  it('a board that never answers is an error naming what was tried, within its boot timeout', async () => {
    const sb = await createStandin({ id: 'd1', serial: 'tcp', tcpPort: 47312 });
    made.push(sb);
    const dir = tmp();
    // Power "on" does nothing: the console server is there (a silent listener), the board is not.
    const silent = await import('node:net').then((net) => net.createServer(() => {}).listen(47313, '127.0.0.1'));
    const f = boardFile(dir, { ...sb, tcpPort: 47313, powerOn: 'true' }, 'standin-dead', { console: 'tcp', ssh: { password: PASSWORD }, bootMs: 8000 });
    const out = join(dir, 'out');
    const t = performance.now();
    const r = await hil(['run', 'scenarios/sw-offload.yaml', '--board', f, '--out', out], { HIL_TEST_BOARD_PW: PASSWORD });
    silent.close();
    const s = readReport(out).scenarios[0]!;
    expect(s.status).toBe('error');
    expect(s.reason).toMatch(/^board standin-dead never answered: nothing arrived on its console \(tcp 127\.0\.0\.1:47313\) within 8 s of power on$/);
    expect(r.exitCode).toBe(1);
    expect(performance.now() - t).toBeLessThan(60_000);
    await sb.destroy();
    expect(await leftovers()).toEqual([]);
  }, 300_000);

  it('a board locked by another run is refused with who holds it and since when', async () => {
    const sb = await createStandin({ id: 'e1', serial: 'pty' });
    made.push(sb);
    const dir = tmp();
    const f = boardFile(dir, sb, 'standin-locked', { console: 'serial' });
    const lockDir = join(dir, 'locks');
    mkdirSync(lockDir);
    // The other run is this test process: alive, so its lock is not stale.
    writeFileSync(join(lockDir, 'standin-locked.lock'), JSON.stringify({ board: 'standin-locked', runId: 'other-run-7', pid: process.pid, since: '2026-12-01T10:00:00.000Z' }));
    const out = join(dir, 'out');
    const r = await hil(['run', 'scenarios/sw-offload.yaml', '--board', f, '--out', out], { HIL_BOARD_LOCK_DIR: lockDir });
    const s = readReport(out).scenarios[0]!;
    expect(s.status).toBe('error');
    expect(s.reason).toBe(`board standin-locked is in use by run other-run-7 (pid ${process.pid}) since 2026-12-01T10:00:00.000Z`);
    expect(r.exitCode).toBe(1);
    // Never powered on, its cables never taken.
    expect((await execa('pgrep', ['-f', 'hil-standin-e1'], { reject: false })).stdout).toBe('');
    // The other run's lock is untouched; a lock whose owner died is taken over.
    expect(JSON.parse(readFileSync(join(lockDir, 'standin-locked.lock'), 'utf8')).runId).toBe('other-run-7');
    await sb.destroy();
    expect(await leftovers()).toEqual([]);
  }, 300_000);

  it('a harness killed outright leaves the cables in its lab; the next run gives them back as they were', async () => {
    const sb = await createStandin({ id: 'f1', serial: 'pty', password: PASSWORD });
    made.push(sb);
    await execa('ip', ['addr', 'add', '198.18.9.1/24', 'dev', sb.cables.wan]);
    await execa('ip', ['link', 'set', sb.cables.wan, 'up']);
    const dir = tmp();
    const f = boardFile(dir, sb, 'standin-killed', { console: 'serial', ssh: { password: PASSWORD } });
    const run = execa('node', [join(root, 'harness/bin/hil.js'), 'run', 'scenarios/sw-offload.yaml', '--board', f, '--out', join(dir, 'out')], { reject: false, cwd: root, env: { CI: 'true', HIL_TEST_BOARD_PW: PASSWORD } });
    // Killed once its traffic runs: the cables are inside the lab's namespaces by then.
    for (let i = 0; i < 600; i++) {
      if ((await execa('ip', ['link', 'show', 'dev', sb.cables.wan], { reject: false })).exitCode !== 0) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    await new Promise((res) => setTimeout(res, 3000));
    run.kill('SIGKILL');
    await run;
    expect((await execa('ip', ['link', 'show', 'dev', sb.cables.wan], { reject: false })).exitCode).not.toBe(0);
    // The next run reaps the dead one's lab first, then power-cycles the board it left on.
    const next = await hil(['run', 'scenarios/sw-offload.yaml', '--board', f, '--out', join(dir, 'out2')], { HIL_TEST_BOARD_PW: PASSWORD });
    expect(readReport(join(dir, 'out2')).scenarios[0]!.status).toBe('passed');
    expect(next.exitCode).toBe(0);
    const addrs = JSON.parse((await execa('ip', ['-j', 'addr', 'show', 'dev', sb.cables.wan])).stdout)[0].addr_info.map((a: { local: string }) => a.local);
    expect(addrs).toContain('198.18.9.1');
    await sb.destroy();
    expect(await leftovers()).toEqual([]);
  }, 300_000);

  for (const mode of ['reboots', 'brick'] as const) {
    it(`--flash pushes the image over SSH, flashes it, ${mode === 'brick' ? 'power-cycles a board that does not come back, ' : ''}checks the new firmware runs, then runs the scenarios on it`, async () => {
      const sb = await createStandin({ id: mode === 'brick' ? 'h1' : 'g1', serial: 'pty', password: PASSWORD, flash: mode });
      made.push(sb);
      const dir = tmp();
      const version = `hil-standin-firmware 2026.12.01-${mode}`;
      const img = join(dir, 'firmware.bin');
      writeFileSync(img, Buffer.concat([Buffer.from(`${version}\n`), Buffer.alloc(200_000, 0x5a)]));
      const f = boardFile(dir, sb, `standin-flash-${mode}`, { console: 'serial', ssh: { password: PASSWORD }, flashCheck: version });
      const out = join(dir, 'out');
      const r = await hil(['run', 'scenarios/sw-offload.yaml', '--board', f, '--flash', img, '--out', out], { HIL_TEST_BOARD_PW: PASSWORD });
      const rep = readReport(out);
      const s = rep.scenarios[0]!;
      expect(`${s.status} ${s.reason ?? ''}`.trim()).toBe('passed');
      expect(r.exitCode).toBe(0);
      expect(rep.flash).toHaveLength(1);
      const fl = rep.flash![0]!;
      expect(fl).toMatchObject({ board: `standin-flash-${mode}`, bytes: 200_000 + version.length + 1, recovered: mode === 'brick', command: expect.stringMatching(/^sysupgrade -n \/tmp\/hil-sysupgrade-firmware\.bin$/) });
      expect(fl.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(fl.check!.output).toContain(version);
      expect(r.stderr).toMatch(new RegExp(`flashing board standin-flash-${mode} with firmware\\.bin`));
      await sb.destroy();
      expect(await leftovers()).toEqual([]);
    }, 300_000);
  }

  it('a flash that does not take is an error for every scenario on the board, saying what the board runs instead', async () => {
    const sb = await createStandin({ id: 'i1', serial: 'pty', password: PASSWORD, flash: 'reboots' });
    made.push(sb);
    const dir = tmp();
    const img = join(dir, 'firmware.bin');
    writeFileSync(img, 'hil-standin-firmware something-else\n');
    const f = boardFile(dir, sb, 'standin-flash-wrong', { ssh: { password: PASSWORD }, flashCheck: 'hil-standin-firmware 2099' });
    const out = join(dir, 'out');
    const r = await hil(['run', 'scenarios/sw-offload.yaml', 'scenarios/udp-offload.yaml', '--board', f, '--flash', img, '--out', out], { HIL_TEST_BOARD_PW: PASSWORD });
    const rep = readReport(out);
    expect(rep.scenarios.map((s) => s.status)).toEqual(['error', 'error']);
    expect(rep.scenarios[0]!.reason).toMatch(/^flashing board standin-flash-wrong failed: after flashing, `cat \/etc\/hil-firmware` does not show "hil-standin-firmware 2099": the board is not running the new image \(it said: hil-standin-firmware something-else\)$/);
    expect(r.exitCode).toBe(1);
    await sb.destroy();
    expect(await leftovers()).toEqual([]);
  }, 300_000);
});

