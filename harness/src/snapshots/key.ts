import { createHash } from 'node:crypto';
import { ADDRESSING } from '../lab/addressing.js';
import { fileIdentity } from '../util/file-identity.js';

/**
 * Bumped whenever what a snapshot holds changes (the readiness point, the agent's state).
 * OpenWrt DUTs are saved with the lab's addresses configured, so those are part of it too.
 */
export const SNAPSHOT_FORMAT = `hil-snapshot-2 ready=agent-banner openwrt-network=${JSON.stringify(ADDRESSING)}`;

/** Options that differ per lab or per process and are invisible to the guest. */
function normalise(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-name' || a === '-qmp' || a === '-incoming') {
      i++;
      continue;
    }
    out.push(a.replace(/ifname=[^,]+/, 'ifname=*'));
  }
  return out;
}

/** Files the guest boots from: the key follows their identity, so a rebuilt image gets a new snapshot. */
const FILE_OPTIONS = new Set(['-kernel', '-initrd', '-bios', '-pflash']);

export interface KeyInput {
  qemuVersion: string;
  accel: string;
  /** Per-run files (overlays, variable stores) given as "*"; their sources go in `files`. */
  args: readonly string[];
  /** More files whose identity shapes the guest: the images behind per-run overlays. */
  files?: readonly string[];
}

export interface SnapshotKey {
  key: string;
  /** What went into the key, kept in the snapshot's metadata for `hil cache ls`. */
  inputs: { qemuVersion: string; accel: string; args: string[]; files: Record<string, string> };
}

export async function snapshotKey(i: KeyInput): Promise<SnapshotKey> {
  const args = normalise(i.args);
  const files: Record<string, string> = {};
  for (let k = 0; k < args.length - 1; k++) {
    const paths = FILE_OPTIONS.has(args[k]!)
      ? [args[k + 1]!]
      : args[k] === '-drive' ? [...args[k + 1]!.matchAll(/(?:^|,)file=([^,]+)/g)].map((m) => m[1]!) : [];
    for (const p of paths.filter((x) => x !== '*')) files[p] = await fileIdentity(p);
  }
  for (const p of i.files ?? []) files[`base:${p}`] = await fileIdentity(p);
  const inputs = { qemuVersion: i.qemuVersion, accel: i.accel, args, files };
  const key = createHash('sha256').update(JSON.stringify([SNAPSHOT_FORMAT, inputs])).digest('hex').slice(0, 20);
  return { key, inputs };
}
