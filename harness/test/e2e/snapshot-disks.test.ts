import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDefaultImage } from '../../src/images/default-image.js';
import { DutBooter, type DiskPlan } from '../../src/run/dut-boot.js';
import { SnapshotStore } from '../../src/snapshots/store.js';
import { loadProfile } from '../../src/targets/qemu-profile.js';
import { leftovers } from './leftovers.js';

// Disk images (as OpenWrt's) under snapshots: the disk layer is saved with the VM's state
// while it is paused, each restore gets its own overlay over that layer, and the cached
// image underneath is never written. The default image with a data disk stands in.
describe('snapshots of DUTs with a disk', () => {
  it('a restore sees the disk as saved; one run\'s writes never reach the next; the base never changes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hil-snap-disk-'));
    const base = join(dir, 'base.img');
    writeFileSync(base, Buffer.alloc(4 << 20));
    const before = createHash('sha256').update(readFileSync(base)).digest('hex');
    const booter = new DutBooter(new SnapshotStore(join(dir, 'snaps')));
    const plan: DiskPlan = {
      bases: [{ path: base, format: 'raw' }],
      // Written at readiness, before the save: part of the saved system.
      prepare: async (dut) => {
        const r = await dut.shell.run('printf saved-marker | dd of=/dev/vda bs=512 seek=1 conv=notrunc,fsync 2>/dev/null');
        expect(r.exitCode).toBe(0);
      },
    };
    const opts = {
      name: `hil-diskt${process.pid}`, profile: await loadProfile('x86-64'), image: await loadDefaultImage(), accel: { accel: 'tcg' as const, reason: 'test' },
      taps: {}, transcript: join(dir, 'console.log'), bootTimeoutMs: 60_000, commandTimeoutMs: 20_000,
    };
    const read = (sector: number) => `dd if=/dev/vda bs=512 skip=${sector} count=1 2>/dev/null | tr -d '\\000'`;

    const first = await booter.boot(opts, plan);
    expect(first.boot.snapshot.action).toBe('saved');
    await first.dut.stop();

    const second = await booter.boot(opts, plan);
    expect(second.boot).toMatchObject({ kind: 'snapshot', snapshot: { action: 'restored' } });
    expect((await second.dut.shell.run(`echo 3 > /proc/sys/vm/drop_caches; ${read(1)}`)).stdout).toBe('saved-marker');
    await second.dut.shell.run('printf second-run | dd of=/dev/vda bs=512 seek=2 conv=notrunc,fsync 2>/dev/null');
    await second.dut.stop();

    const third = await booter.boot(opts, plan);
    expect(third.boot.kind).toBe('snapshot');
    const r = await third.dut.shell.run(`echo 3 > /proc/sys/vm/drop_caches; ${read(1)}; echo /; ${read(2)}`);
    expect(r.stdout).toBe('saved-marker/\n');
    await third.dut.stop();

    expect(createHash('sha256').update(readFileSync(base)).digest('hex')).toBe(before);
    expect(await leftovers(join(dir, 'snaps'))).toEqual([]);
  }, 180_000);
});
