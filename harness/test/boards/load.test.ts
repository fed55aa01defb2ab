import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadBoard } from '../../src/boards/load.js';
import { redact } from '../../src/util/redact.js';

const write = (text: string, extra: Record<string, string> = {}) => {
  const d = mkdtempSync(join(tmpdir(), 'hil-board-'));
  for (const [n, t] of Object.entries(extra)) writeFileSync(join(d, n), t);
  const f = join(d, 'board.yaml');
  writeFileSync(f, text);
  return f;
};
const base = 'name: desk-mt7621\ncables: { lan: enp3s0, wan: enp4s0 }\n';

describe('board files', () => {
  it('loads a board with defaults, reads its secrets from the environment and a file, and registers them for redaction', async () => {
    process.env.HIL_T_PW = 'from-the-env-pw';
    const f = write(`${base}console:\n  serial: { device: /dev/ttyUSB0 }\n  login: { password: { file: console.pw } }\nssh:\n  host: 192.168.1.1\n  password: { env: HIL_T_PW }\n`, { 'console.pw': 'from-a-file-pw\n' });
    const b = await loadBoard(f);
    expect(b.console!.serial).toEqual({ device: '/dev/ttyUSB0', baud: 115200 });
    expect(b.ssh).toMatchObject({ port: 22, user: 'root', from: 'lan' });
    expect(b.power).toBe('manual');
    expect(b.cables.mode).toBe('move');
    expect(b.secrets).toEqual({ consolePassword: 'from-a-file-pw', sshPassword: 'from-the-env-pw', passphrase: undefined });
    expect(redact('pw from-the-env-pw and from-a-file-pw')).toBe('pw [redacted] and [redacted]');
  });

  it('says which line is wrong: a console with both serial and tcp, an unknown key, a bad host key', async () => {
    await expect(loadBoard(write(`${base}console:\n  serial: { device: /dev/ttyS1 }\n  tcp: { host: h, port: 2001 }\n`))).rejects.toThrow(/board\.yaml:4:\d+: console: give exactly one of console\.serial and console\.tcp/);
    await expect(loadBoard(write(`${base}ssh: { host: h }\nrelay: 3\n`))).rejects.toThrow(/board\.yaml:4:1: relay: unknown key "relay"/);
    await expect(loadBoard(write(`${base}ssh: { host: h, hostKey: "MD5:aa" }\n`))).rejects.toThrow(/ssh\.hostKey: an OpenSSH SHA256 fingerprint/);
    await expect(loadBoard(write(base))).rejects.toThrow(/a board needs a console or ssh/);
  });

  it('a secret that cannot be read, or is too short to redact, is one clear error', async () => {
    delete process.env.HIL_T_MISSING;
    await expect(loadBoard(write(`${base}ssh: { host: h, password: { env: HIL_T_MISSING } }\n`))).rejects.toThrow(/ssh\.password: the environment variable HIL_T_MISSING is not set/);
    await expect(loadBoard(write(`${base}ssh: { host: h, password: { file: nope.pw } }\n`))).rejects.toThrow(/ssh\.password: cannot read .*nope\.pw: ENOENT/);
    process.env.HIL_T_SHORT = 'ab';
    await expect(loadBoard(write(`${base}ssh: { host: h, password: { env: HIL_T_SHORT } }\n`))).rejects.toThrow(/shorter than 3 characters/);
  });
});

describe('the example board file', () => {
  it('labs/example-mt7621.yaml is a valid board description', async () => {
    process.env.DESK_MT7621_PASSWORD = 'example-only';
    const b = await loadBoard(new URL('../../../labs/example-mt7621.yaml', import.meta.url).pathname);
    expect(b.name).toBe('desk-mt7621');
    expect(b.power).toMatchObject({ on: 'usbrelay HURTM_1=1', off: 'usbrelay HURTM_1=0' });
  });
});
