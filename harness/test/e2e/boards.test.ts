import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/report/types.js';
import { createStandin, STANDIN_LAN, type Standin } from '../boards/standin.js';
import { leftovers } from './leftovers.js';

// The board target against a stand-in VM (harness/test/boards/standin.ts) through the real CLI.
const root = new URL('../../../', import.meta.url).pathname;
const hil = (args: string[], env: Record<string, string> = {}) => execa('node', [join(root, 'harness/bin/hil.js'), ...args], { reject: false, cwd: root, env: { CI: 'true', ...env } });
const tmp = () => mkdtempSync(join(tmpdir(), 'hil-e2e-board-'));
const readReport = (dir: string) => JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as RunReport;
const PASSWORD = 'hunter2-stand-in';
const made: Standin[] = [];

function boardFile(dir: string, sb: Standin, name: string, parts: { console?: 'serial' | 'tcp'; ssh?: { password: string }; bootMs?: number }): string {
  const lines = [`name: ${name}`];
  if (parts.console === 'serial') lines.push('console:', `  serial: { device: ${sb.tty}, baud: 115200 }`);
  if (parts.console === 'tcp') lines.push('console:', `  tcp: { host: 127.0.0.1, port: ${sb.tcpPort} }`);
  if (parts.ssh) lines.push('ssh:', `  host: ${STANDIN_LAN}`, '  password: { env: HIL_TEST_BOARD_PW }', `  hostKey: "${sb.hostKey}"`);
  lines.push('power:', `  on: ${sb.powerOn}`, `  off: ${sb.powerOff}`);
  lines.push(`cables: { lan: ${sb.cables.lan}, wan: ${sb.cables.wan} }`);
  lines.push(`timeouts: { bootMs: ${parts.bootMs ?? 90000} }`);
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
    expect(allText(out) + r.stdout + r.stderr).not.toContain(PASSWORD);
    const after = (await execa('ip', ['-j', 'addr', 'show', 'dev', sb.cables.lan])).stdout;
    const shape = (j: string) => JSON.parse(j).map((l: { ifname: string; mtu: number; flags: string[]; addr_info: { local: string; prefixlen: number; scope: string }[] }) => ({
      ifname: l.ifname, mtu: l.mtu, up: l.flags.includes('UP'), addrs: l.addr_info.filter((a) => a.scope !== 'link').map((a) => `${a.local}/${a.prefixlen}`),
    }));
    expect(shape(after)).toEqual(shape(before));
    await sb.destroy();
    expect(await leftovers()).toEqual([]);
  }, 300_000);
});
