import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tryPidLock } from '../../src/util/pid-lock.js';

const dir = () => mkdtempSync(join(tmpdir(), 'hil-lock-'));

describe('pid lock', () => {
  it('one holder at a time; the second learns who holds it; release frees it', async () => {
    const f = join(dir(), 'x.lock');
    const a = await tryPidLock(f, { runId: 'run-a' });
    expect('release' in a).toBe(true);
    const b = await tryPidLock(f, { runId: 'run-b' });
    expect(b).toMatchObject({ heldBy: { runId: 'run-a', pid: process.pid } });
    if ('release' in a) await a.release();
    expect('release' in (await tryPidLock(f))).toBe(true);
  });

  it('a lock whose owner is gone is stale and taken over', async () => {
    const f = join(dir(), 'x.lock');
    // pid 2^22 + 1 is above Linux's pid_max default: no such process.
    writeFileSync(f, JSON.stringify({ pid: 4194305, since: '2026-01-01T00:00:00Z', runId: 'dead' }));
    const r = await tryPidLock(f, { runId: 'alive' });
    expect('release' in r).toBe(true);
    expect(JSON.parse(readFileSync(f, 'utf8')).runId).toBe('alive');
  });
});
