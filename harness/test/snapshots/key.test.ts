import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { snapshotKey } from '../../src/snapshots/key.js';

const dir = () => mkdtempSync(join(tmpdir(), 'hil-key-'));

describe('snapshotKey', () => {
  const base = ['-machine', 'pc', '-name', 'hil-a', '-netdev', 'tap,id=lan,ifname=hilaaa0l,script=no', '-qmp', 'unix:/x,server=on'];
  it('ignores what differs per lab and follows what the guest sees', async () => {
    const a = await snapshotKey({ qemuVersion: 'v', accel: 'tcg', args: base });
    const b = await snapshotKey({ qemuVersion: 'v', accel: 'tcg', args: base.map((x) => x.replace('hilaaa0l', 'hilbbb3l').replace('hil-a', 'hil-b')) });
    expect(b.key).toBe(a.key);
    expect((await snapshotKey({ qemuVersion: 'v', accel: 'kvm', args: base })).key).not.toBe(a.key);
    expect((await snapshotKey({ qemuVersion: 'w', accel: 'tcg', args: base })).key).not.toBe(a.key);
    expect((await snapshotKey({ qemuVersion: 'v', accel: 'tcg', args: [...base, '-append', 'hil.without=nf_flow_table'] })).key).not.toBe(a.key);
  });

  it('follows the identity of the files the guest boots from', async () => {
    const d = dir();
    const f = join(d, 'initrd');
    writeFileSync(f, 'one');
    const a = await snapshotKey({ qemuVersion: 'v', accel: 'tcg', args: ['-initrd', f] });
    await new Promise((r) => setTimeout(r, 5));
    writeFileSync(f, 'two!');
    const b = await snapshotKey({ qemuVersion: 'v', accel: 'tcg', args: ['-initrd', f] });
    expect(b.key).not.toBe(a.key);
  });
});
