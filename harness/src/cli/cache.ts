import { SnapshotStore } from '../snapshots/store.js';
import { UserError } from '../util/errors.js';

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;

function age(iso: string): string {
  const s = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  return s < 90 ? `${s.toFixed(0)} s` : s < 5400 ? `${(s / 60).toFixed(0)} min` : s < 172800 ? `${(s / 3600).toFixed(1)} h` : `${(s / 86400).toFixed(1)} d`;
}

/** `hil cache ls` and `hil cache prune [--all | KEY...]`: the saved VM states. */
export async function cacheCmd(args: string[], out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const [sub, ...rest] = args;
  const store = new SnapshotStore();
  if (sub === 'ls') {
    const all = await store.list();
    if (!all.length) {
      out.write(`no snapshots in ${store.dir}\n`);
      return 0;
    }
    out.write(`${'KEY'.padEnd(22)}${'SIZE'.padStart(10)}  ${'CREATED'.padEnd(10)} ${'USED'.padEnd(10)} KERNEL\n`);
    for (const m of all) {
      out.write(`${m.key.padEnd(22)}${mb(m.sizeBytes).padStart(10)}  ${age(m.createdAt).padEnd(10)} ${age(m.lastUsedAt).padEnd(10)} ${m.banner.kernel ?? '?'}\n`);
    }
    const total = all.reduce((a, m) => a + m.sizeBytes, 0);
    out.write(`${all.length} snapshot(s), ${mb(total)} of ${mb(store.limitBytes)} (HIL_SNAPSHOT_CACHE_MB) in ${store.dir}\n`);
    return 0;
  }
  if (sub === 'prune') {
    const all = await store.list();
    let victims: string[];
    if (rest.length === 1 && rest[0] === '--all') victims = all.map((m) => m.key);
    else if (rest.length) {
      const unknown = rest.filter((k) => !all.some((m) => m.key === k));
      if (unknown.length) throw new UserError(`no such snapshot: ${unknown.join(', ')} (see \`hil cache ls\`)`);
      victims = rest;
    } else {
      victims = await store.enforceLimit();
      out.write(`pruned ${victims.length} snapshot(s): stale (their image is gone or changed), then least recently used down to ${mb(store.limitBytes)}\n`);
      return 0;
    }
    for (const k of victims) await store.remove(k);
    out.write(`deleted ${victims.length} snapshot(s)\n`);
    return 0;
  }
  throw new UserError(`usage: hil cache ls | hil cache prune [--all | KEY...]`);
}
