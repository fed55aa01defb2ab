import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { writeFileAtomic } from '../util/atomic-write.js';
import { join } from 'node:path';
import { cacheDir } from '../util/paths.js';
import type { SnapshotKey } from './key.js';
import { tryPidLock } from '../util/pid-lock.js';
import { sha256File } from '../util/sha256-file.js';
import { alive } from '../util/process.js';
import { sameIdentity } from '../util/file-identity.js';

export interface SnapshotMeta {
  key: string;
  createdAt: string;
  lastUsedAt: string;
  sizeBytes: number;
  sha256: string;
  /** Files saved with the state (disk layers, firmware variables), by name in the snapshot's folder. */
  layers?: string[];
  saveMs: number;
  /** The guest's readiness banner, replayed into reports of restored runs. */
  banner: Record<string, string>;
  inputs: SnapshotKey['inputs'];
}

export interface SnapshotLock {
  release(): Promise<void>;
}

/** Default cache limit for saved VM states; HIL_SNAPSHOT_CACHE_MB overrides it. */
export const DEFAULT_LIMIT_MB = 2048;


/**
 * Saved VM states, one folder per key: `state` (QEMU's migration stream, read-only once
 * written) and `meta.json`. A state is written as `partial-<pid>-<rand>` and renamed into
 * place; meta.json is written last, so a folder without it is never used.
 */
export class SnapshotStore {
  private readonly verified = new Map<string, string>();

  constructor(
    readonly dir = process.env.HIL_SNAPSHOT_DIR ?? join(cacheDir(), 'snapshots'),
    readonly limitBytes = Number(process.env.HIL_SNAPSHOT_CACHE_MB ?? DEFAULT_LIMIT_MB) * 1024 * 1024,
  ) {}

  statePath(key: string): string {
    return join(this.dir, key, 'state');
  }

  layerPath(key: string, name: string): string {
    return join(this.dir, key, name);
  }

  private metaPath(key: string): string {
    return join(this.dir, key, 'meta.json');
  }

  async find(key: string): Promise<SnapshotMeta | undefined> {
    const meta = await readFile(this.metaPath(key), 'utf8').then((t) => JSON.parse(t) as SnapshotMeta).catch(() => undefined);
    if (!meta) return undefined;
    const st = await stat(this.statePath(key)).catch(() => undefined);
    if (!st || st.size !== meta.sizeBytes) return undefined;
    for (const l of meta.layers ?? []) if (!(await stat(this.layerPath(key, l)).catch(() => undefined))) return undefined;
    return meta;
  }

  /** Checks the state's checksum once per process: a corrupted stream QEMU might accept is never used. */
  async verify(meta: SnapshotMeta): Promise<boolean> {
    if (this.verified.get(meta.key) === meta.sha256) return true;
    const ok = (await sha256File(this.statePath(meta.key)).catch(() => '')) === meta.sha256;
    if (ok) this.verified.set(meta.key, meta.sha256);
    return ok;
  }

  async touch(meta: SnapshotMeta): Promise<void> {
    await this.writeMeta({ ...meta, lastUsedAt: new Date().toISOString() }).catch(() => undefined);
  }

  /** Exclusive right to create key's snapshot, or undefined while a live process holds it. */
  async tryLock(key: string): Promise<SnapshotLock | undefined> {
    const r = await tryPidLock(join(this.dir, `${key}.lock`));
    return 'release' in r ? r : undefined;
  }

  /** Where a new state is written before commit; never read by anyone else. */
  async partialPath(key: string): Promise<string> {
    await mkdir(join(this.dir, key), { recursive: true });
    return join(this.dir, key, `partial-${process.pid}-${randomBytes(3).toString('hex')}`);
  }

  /** layers: name in the snapshot -> a partial file of this writer, renamed in before the metadata. */
  async commit(k: SnapshotKey, partial: string, saveMs: number, banner: Record<string, string>, layers: Record<string, string> = {}): Promise<SnapshotMeta> {
    const { size } = await stat(partial);
    const sha256 = await sha256File(partial);
    for (const [name, file] of Object.entries(layers)) await rename(file, this.layerPath(k.key, name));
    await rename(partial, this.statePath(k.key));
    const now = new Date().toISOString();
    const meta: SnapshotMeta = {
      key: k.key, createdAt: now, lastUsedAt: now, sizeBytes: size, sha256, layers: Object.keys(layers), saveMs: Math.round(saveMs), banner, inputs: k.inputs,
    };
    await this.writeMeta(meta);
    this.verified.set(meta.key, sha256);
    await this.enforceLimit(meta.key);
    return meta;
  }

  private async writeMeta(meta: SnapshotMeta): Promise<void> {
    await writeFileAtomic(this.metaPath(meta.key), JSON.stringify(meta, null, 2));
  }

  async remove(key: string): Promise<void> {
    await rm(this.metaPath(key), { force: true });
    await rm(join(this.dir, key), { recursive: true, force: true });
    this.verified.delete(key);
  }

  /** Complete snapshots, newest use first; leftovers of dead writers are deleted on the way. */
  async list(): Promise<SnapshotMeta[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const out: SnapshotMeta[] = [];
    for (const name of names) {
      if (name.includes('.lock')) continue;
      const files = await readdir(join(this.dir, name)).catch(() => [] as string[]);
      for (const f of files) {
        const pid = /^partial-(\d+)-/.exec(f)?.[1];
        if (pid && !alive(Number(pid))) await rm(join(this.dir, name, f), { force: true });
      }
      const meta = await this.find(name);
      if (meta) out.push(meta);
      else if (!files.some((f) => f.startsWith('partial-'))) await rm(join(this.dir, name), { recursive: true, force: true });
    }
    return out.sort((a, b) => b.lastUsedAt.localeCompare(a.lastUsedAt));
  }

  /**
   * Snapshots whose images are gone or changed (a rebuilt default image lands in a new
   * folder and the old one is pruned) can never be restored again: their key has moved on.
   */
  async isStale(meta: SnapshotMeta): Promise<boolean> {
    for (const id of Object.values(meta.inputs.files ?? {})) if (!(await sameIdentity(id))) return true;
    return false;
  }

  /** Deletes stale snapshots, then the least recently used until the cache fits its limit; keep is spared. */
  async enforceLimit(keep?: string): Promise<string[]> {
    const removed: string[] = [];
    for (const m of await this.list()) {
      if (m.key !== keep && (await this.isStale(m))) {
        await this.remove(m.key);
        removed.push(m.key);
      }
    }
    const all = await this.list();
    let total = all.reduce((a, m) => a + m.sizeBytes, 0);
    for (const m of [...all].reverse()) {
      if (total <= this.limitBytes) break;
      if (m.key === keep) continue;
      await this.remove(m.key);
      total -= m.sizeBytes;
      removed.push(m.key);
    }
    return removed;
  }
}
