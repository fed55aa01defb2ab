import { mkdirSync, mkdtempSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SnapshotStore } from '../../src/snapshots/store.js';

const dir = () => mkdtempSync(join(tmpdir(), 'hil-snap-'));
const DEAD_PID = 2 ** 22 + 1; // above pid_max's ceiling: never a live process

async function saved(store: SnapshotStore, name: string, bytes: number) {
  const k = { key: name, inputs: { qemuVersion: 'q', accel: 'tcg', args: [], files: {} } };
  const partial = await store.partialPath(name);
  writeFileSync(partial, Buffer.alloc(bytes, 7));
  return store.commit(k, partial, 5, { kernel: 'k' });
}

describe('SnapshotStore', () => {
  it('commits atomically and verifies the checksum it recorded', async () => {
    const store = new SnapshotStore(dir(), 1e9);
    const meta = await saved(store, 'a', 1000);
    expect(readdirSync(join(store.dir, 'a')).sort()).toEqual(['meta.json', 'state']);
    expect(await store.find('a')).toMatchObject({ key: 'a', sizeBytes: 1000 });
    expect(await new SnapshotStore(store.dir).verify(meta)).toBe(true);
    writeFileSync(store.statePath('a'), Buffer.alloc(1000, 8));
    expect(await new SnapshotStore(store.dir).verify(meta)).toBe(false);
  });

  it('never uses a state without metadata or of the wrong size, and clears dead writers\' leftovers', async () => {
    const store = new SnapshotStore(dir(), 1e9);
    mkdirSync(join(store.dir, 'half'));
    writeFileSync(join(store.dir, 'half', 'state'), 'x');
    writeFileSync(join(store.dir, 'half', `partial-${DEAD_PID}-abcdef`), 'x');
    expect(await store.find('half')).toBeUndefined();
    await saved(store, 'short', 10);
    writeFileSync(store.statePath('short'), 'x');
    expect(await store.find('short')).toBeUndefined();
    const mine = await store.partialPath('busy');
    writeFileSync(mine, 'x');
    await store.list();
    expect(existsSync(join(store.dir, 'half'))).toBe(false);
    expect(existsSync(mine)).toBe(true);
  });

  it('one creator at a time; a dead owner\'s lock is taken over', async () => {
    const store = new SnapshotStore(dir(), 1e9);
    const lock = await store.tryLock('k');
    expect(lock).toBeDefined();
    expect(await store.tryLock('k')).toBeUndefined();
    await lock!.release();
    writeFileSync(join(store.dir, 'k.lock'), JSON.stringify({ pid: DEAD_PID }));
    expect(await store.tryLock('k')).toBeDefined();
  });

  it('stays under its size limit, least recently used first', async () => {
    const store = new SnapshotStore(dir(), 2500);
    await saved(store, 'old', 1000);
    await new Promise((r) => setTimeout(r, 5));
    const mid = await saved(store, 'mid', 1000);
    await new Promise((r) => setTimeout(r, 5));
    await store.touch((await store.find('old'))!);
    await saved(store, 'new', 1000);
    expect((await store.list()).map((m) => m.key).sort()).toEqual(['new', 'old']);
    expect(await store.find(mid.key)).toBeUndefined();
  });
});

describe('stale snapshots', () => {
  it('a snapshot whose image changed or is gone is pruned first', async () => {
    const store = new SnapshotStore(dir(), 1e9);
    const img = join(store.dir, '..', `img-${process.pid}`);
    writeFileSync(img, 'kernel v1');
    const { snapshotKey } = await import('../../src/snapshots/key.js');
    const k = await snapshotKey({ qemuVersion: 'q', accel: 'tcg', args: ['-kernel', img] });
    const partial = await store.partialPath(k.key);
    writeFileSync(partial, 'state');
    const meta = await store.commit(k, partial, 1, {});
    expect(await store.isStale(meta)).toBe(false);
    await new Promise((r) => setTimeout(r, 5));
    writeFileSync(img, 'kernel v2, rebuilt');
    expect(await store.isStale(meta)).toBe(true);
    expect(await store.enforceLimit()).toEqual([k.key]);
    expect(await store.find(k.key)).toBeUndefined();
  });
});
