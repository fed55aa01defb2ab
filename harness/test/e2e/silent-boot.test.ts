import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDefaultImage } from '../../src/images/default-image.js';
import { loadProfile } from '../../src/targets/qemu-profile.js';
import { bootQemu, qmpSocketPath } from '../../src/targets/qemu.js';
import { ShellTimeoutError } from '../../src/targets/shell-protocol.js';

const work = mkdtempSync(join(tmpdir(), 'hil-e2e-silent-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('a boot that prints nothing until its timeout', () => {
  // A real guest that goes silent: the kernel boots `quiet` and its init only sleeps, so no
  // agent ever answers (as two OpenWrt cold boots did once, for 240 s, with nothing to go on).
  it('says where QEMU has the guest, in the error and the transcript, and leaves no QEMU or QMP socket', async () => {
    const base = await loadProfile('x86-64');
    const profile = { ...base, append: `${base.append} rdinit=/bin/sleep -- 600` };
    const transcript = join(work, 'console.log');
    const name = `hil-silent-${process.pid}`;
    const err = await bootQemu({
      name, profile, image: await loadDefaultImage(), accel: { accel: 'tcg', reason: 'test' },
      taps: {}, transcript, bootTimeoutMs: 8000, commandTimeoutMs: 5000,
    }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(ShellTimeoutError);
    const where = /; (QEMU says the guest is running; vCPU 0 (halted|running) at ffffffff[0-9a-f]{8} \(kernel\))$/.exec((err as Error).message);
    expect(where, (err as Error).message).not.toBeNull();
    expect((err as Error).message).toMatch(/^waiting for the DUT shell timed out after 8000 ms; /);
    expect(readFileSync(transcript, 'utf8')).toContain(where![1]);
    expect(existsSync(qmpSocketPath(name))).toBe(false);
    expect((await execa('pgrep', ['-f', '--', `-name ${name} `], { reject: false })).stdout).toBe('');
  }, 60_000);
});
