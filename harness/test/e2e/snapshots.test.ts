import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, truncateSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunReport, ScenarioReport } from '../../src/report/types.js';
import { leftovers } from './leftovers.js';

// Saved VM states under faults, through the real CLI: never a wrong verdict, never a hang, nothing half-written used.
const root = new URL('../../../', import.meta.url).pathname;
const tmp = () => mkdtempSync(join(tmpdir(), 'hil-snap-e2e-'));
const scenarioDir = tmp();
const scenarioFile = join(scenarioDir, 'quick.yaml');
writeFileSync(scenarioFile, 'offload: sw\ntraffic:\n  - { proto: tcp, duration: 2 }\nexpect:\n  flows: { state: sw }\n');

async function once(snaps: string): Promise<ScenarioReport> {
  const out = tmp();
  const r = await execa('node', [join(root, 'harness/bin/hil.js'), 'run', scenarioFile, '--out', out], { reject: false, cwd: root, env: { HIL_SNAPSHOT_DIR: snaps } });
  const s = (JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as RunReport).scenarios[0]!;
  expect(s.status, `${s.reason ?? ''}\n${r.stderr}`).toBe('passed');
  return s;
}

const onlyKey = (snaps: string) => readdirSync(snaps).filter((d) => !d.endsWith('.lock'))[0]!;
const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

describe('snapshots, end to end', () => {
  const mounts: string[] = [];
  afterAll(async () => {
    for (const m of mounts) await execa('umount', [m], { reject: false });
  });

  it('a state QEMU refuses is deleted; the scenario boots cold, passes, and saves a good one', async () => {
    const snaps = tmp();
    expect((await once(snaps)).boot!.snapshot.action).toBe('saved');
    const key = onlyKey(snaps);
    const state = join(snaps, key, 'state');
    const metaFile = join(snaps, key, 'meta.json');
    // Cut the stream short but keep the metadata consistent: only QEMU can notice.
    truncateSync(state, 4096);
    const meta = JSON.parse(readFileSync(metaFile, 'utf8'));
    writeFileSync(metaFile, JSON.stringify({ ...meta, sizeBytes: 4096, sha256: sha(state) }));
    const s = await once(snaps);
    expect(s.boot).toMatchObject({ kind: 'cold', snapshot: { action: 'saved' } });
    // Kept once: in the scenario's warnings, what every reporter shows.
    expect(s.boot).not.toHaveProperty('warnings');
    expect(s.warnings).toContainEqual(expect.stringMatching(new RegExp(`^QEMU could not restore snapshot ${key} .*: deleted, booting cold$`)));
    expect(JSON.parse(readFileSync(metaFile, 'utf8')).sha256).toBe(sha(state));
    expect((await once(snaps)).boot).toMatchObject({ kind: 'snapshot', snapshot: { action: 'restored' } });
    expect(await leftovers(snaps)).toEqual([]);
  }, 180_000);

  it('a state changed on disk fails its checksum and is never restored', async () => {
    const snaps = tmp();
    await once(snaps);
    const state = join(snaps, onlyKey(snaps), 'state');
    const fd = openSync(state, 'r+');
    writeSync(fd, Buffer.from('corrupt'), 0, 7, 1 << 20);
    closeSync(fd);
    const s = await once(snaps);
    expect(s.boot).toMatchObject({ kind: 'cold', snapshot: { action: 'saved' } });
    expect(s.warnings!.join('\n')).toMatch(/failed its checksum: deleted, booting cold/);
    expect(await leftovers(snaps)).toEqual([]);
  }, 180_000);

  it('disk full while saving: a warning, the scenario still passes, nothing half-written is kept', async () => {
    const snaps = tmp();
    await execa('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', snaps]);
    mounts.push(snaps);
    const s = await once(snaps);
    expect(s.boot).toMatchObject({ kind: 'cold', snapshot: { action: 'none' } });
    expect(s.warnings!.join('\n')).toMatch(/could not save snapshot .*: saving VM state failed/);
    expect(readdirSync(snaps).flatMap((d) => readdirSync(join(snaps, d)))).toEqual([]);
    expect(await leftovers(snaps)).toEqual([]);
  }, 180_000);

  it('two runs creating the same snapshot at once: one saves, the other boots cold, both pass', async () => {
    const snaps = tmp();
    const [a, b] = await Promise.all([once(snaps), once(snaps)]);
    expect([a.boot!.snapshot.action, b.boot!.snapshot.action].sort()).toEqual(['none', 'saved']);
    const key = onlyKey(snaps);
    expect(JSON.parse(readFileSync(join(snaps, key, 'meta.json'), 'utf8')).sha256).toBe(sha(join(snaps, key, 'state')));
    expect(await leftovers(snaps)).toEqual([]);
  }, 180_000);
});
