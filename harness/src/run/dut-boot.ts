import { randomBytes } from 'node:crypto';
import { copyFile, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { BootReport } from '../report/types.js';
import { snapshotKey } from '../snapshots/key.js';
import type { SnapshotMeta, SnapshotStore } from '../snapshots/store.js';
import { qemuArgs } from '../targets/qemu-args.js';
import { saveVmState } from '../targets/qemu-state.js';
import { bootQemu, type QemuBootOptions, type QemuDut } from '../targets/qemu.js';
import { exec, execOk } from '../util/exec.js';
import { createOverlay, OVERLAY_DIR } from '../images/overlay.js';
import { printfEscape } from '../targets/push-file.js';

/** A restore answers in well under a second; one that has not after this is treated as refused. */
const RESTORE_TIMEOUT_MS = 15_000;

/** What a disk-image DUT needs besides its QEMU options (OpenWrt images). */
export interface DiskPlan {
  /** Images behind this run's qcow2 overlays, in drive order; never written. */
  bases: { path: string; format: 'raw' | 'qcow2' }[];
  /** EFI variable store template, copied per run. */
  varsTemplate?: string;
  /** After a cold boot and before the state is saved: the system's own readiness (procd, netifd, fw4). */
  prepare?: (dut: QemuDut) => Promise<void>;
}

/** This run's writable layers over bases (cached images, or a snapshot's saved layers). */
async function layer(name: string, bases: DiskPlan['bases'], varsTemplate?: string): Promise<{ disks: string[]; vars?: string; remove: () => Promise<void> }> {
  const made: (() => Promise<void>)[] = [];
  const remove = async () => {
    for (const r of made) await r();
  };
  try {
    const disks: string[] = [];
    for (const [n, b] of bases.entries()) {
      const o = await createOverlay(b.path, `${name}-d${n}`, b.format);
      made.push(o.remove);
      disks.push(o.path);
    }
    let vars: string | undefined;
    if (varsTemplate) {
      vars = join(OVERLAY_DIR, `${name}.vars.fd`);
      await copyFile(varsTemplate, vars);
      made.push(() => rm(vars!, { force: true }));
    }
    return { disks, vars, remove };
  } catch (e) {
    await remove();
    throw e;
  }
}

/** Boots on fresh layers over bases (the plan's images, or a snapshot's), which go when the DUT stops. */
async function bootOnLayers(
  o: QemuBootOptions, bases: DiskPlan['bases'], vars: string | undefined, start: (image: QemuBootOptions['image']) => Promise<QemuDut>,
): Promise<QemuDut> {
  const l = await layer(o.name, bases, vars);
  const image = { ...o.image, disks: [...(o.image.disks ?? []), ...l.disks], firmwareVars: l.vars ?? o.image.firmwareVars };
  let dut: QemuDut;
  try {
    dut = await start(image);
  } catch (e) {
    await l.remove();
    throw e;
  }
  const stop = dut.stop;
  dut.stop = async () => {
    await stop();
    await l.remove();
  };
  return dut;
}

/** QEMU's own complaint from the console transcript (it shares the pty), for a one-line reason. */
async function qemuComplaint(transcript: string): Promise<string | undefined> {
  const text = await readFile(transcript, 'utf8').catch(() => '');
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => /^qemu-system|migration|load of/i.test(l));
  return lines.pop();
}

/**
 * Cold boots or snapshot restores, per scenario. The first scenario on a DUT
 * configuration boots cold and saves the VM's state at readiness; later ones restore it.
 * Scenarios of one run that need a snapshot being created wait for it; another process
 * creating it makes this one boot cold rather than wait.
 */
export class DutBooter {
  private readonly inflight = new Map<string, Promise<void>>();
  private readonly qemuVersions = new Map<string, Promise<string>>();

  /** store null: every boot is cold (`--cold`). */
  constructor(private readonly store: SnapshotStore | null) {}

  private qemuVersion(binary: string): Promise<string> {
    let v = this.qemuVersions.get(binary);
    if (!v) {
      v = exec(binary, ['--version']).then((r) => r.stdout.split('\n')[0] ?? '');
      this.qemuVersions.set(binary, v);
    }
    return v;
  }

  /** undefined when the snapshot was refused (and is deleted): the caller boots cold. */
  private async restore(o: QemuBootOptions, key: string, meta: SnapshotMeta, warnings: string[], plan: DiskPlan): Promise<{ dut: QemuDut; boot: BootReport } | undefined> {
    const store = this.store!;
    if (!(await store.verify(meta))) {
      warnings.push(`snapshot ${key} failed its checksum: deleted, booting cold`);
      await store.remove(key);
      return undefined;
    }
    try {
      // The saved disk layers (copied while the saved VM was paused) under this run's own overlays.
      const bases = plan.bases.map((_, n) => ({ path: store.layerPath(key, `disk${n}.qcow2`), format: 'qcow2' as const }));
      const vars = plan.varsTemplate ? store.layerPath(key, 'vars.fd') : undefined;
      const dut = await bootOnLayers(o, bases, vars, (image) =>
        bootQemu({ ...o, image, bootTimeoutMs: RESTORE_TIMEOUT_MS, restore: { state: store.statePath(key), banner: meta.banner } }),
      );
      try {
        await resetAfterRestore(dut);
      } catch (e) {
        await dut.stop();
        throw e;
      }
      await store.touch(meta);
      return { dut, boot: { kind: 'snapshot', ms: Math.round(dut.bootMs), guest: dut.banner, snapshot: { key, action: 'restored' }, warnings } };
    } catch (e) {
      if (o.signal?.aborted) throw e;
      // The restored guest answered but could not be made its own: its own words, not QEMU's last line.
      const msg = (e as Error).message;
      const why = msg.startsWith(RESET_FAILED) ? msg : (await qemuComplaint(o.transcript)) ?? msg;
      warnings.push(`QEMU could not restore snapshot ${key} (${why}): deleted, booting cold`);
      await store.remove(key);
      return undefined;
    }
  }

  async boot(o: QemuBootOptions, plan: DiskPlan = { bases: [] }): Promise<{ dut: QemuDut; boot: BootReport }> {
    const cold = async () => {
      const dut = await bootOnLayers(o, plan.bases, plan.varsTemplate, (image) => bootQemu({ ...o, image }));
      try {
        const t = performance.now();
        await plan.prepare?.(dut);
        // Ready is when the system is up, not when its shell first answered.
        dut.bootMs += performance.now() - t;
      } catch (e) {
        await dut.stop();
        throw e;
      }
      return dut;
    };
    if (!this.store) {
      const dut = await cold();
      return { dut, boot: { kind: 'cold', ms: Math.round(dut.bootMs), guest: dut.banner, snapshot: { key: null, action: 'disabled', note: '--cold' }, warnings: [] } };
    }
    const store = this.store;
    const warnings: string[] = [];
    const k = await snapshotKey({
      qemuVersion: await this.qemuVersion(o.profile.binary),
      accel: o.accel.accel,
      args: qemuArgs({ ...o, accel: o.accel.accel, image: { ...o.image, disks: [...(o.image.disks ?? []), ...plan.bases.map(() => '*')], firmwareVars: plan.varsTemplate ? '*' : o.image.firmwareVars } }),
      files: [...plan.bases.map((b) => b.path), ...(plan.varsTemplate ? [plan.varsTemplate] : [])],
    });
    for (;;) {
      const meta = await store.find(k.key);
      if (meta) {
        const restored = await this.restore(o, k.key, meta, warnings, plan);
        if (restored) return restored;
        continue;
      }
      // Checked and claimed with no await in between: one scenario of this run creates it, the others wait.
      const creating = this.inflight.get(k.key);
      if (!creating) break;
      await creating;
      if (!(await store.find(k.key))) break;
    }

    let settle!: () => void;
    this.inflight.set(k.key, new Promise<void>((r) => (settle = r)));
    const lock = await store.tryLock(k.key).catch(() => undefined);
    if (!lock) {
      this.inflight.delete(k.key);
      settle();
      const dut = await cold();
      return { dut, boot: { kind: 'cold', ms: Math.round(dut.bootMs), guest: dut.banner, snapshot: { key: k.key, action: 'none', note: 'another run is saving this snapshot' }, warnings } };
    }
    // Another run may have saved it between our look and our lock: restore that one instead.
    if (await store.find(k.key)) {
      this.inflight.delete(k.key);
      settle();
      await lock.release();
      return this.boot(o);
    }
    try {
      const dut = await cold();
      const boot: BootReport = { kind: 'cold', ms: Math.round(dut.bootMs), guest: dut.banner, snapshot: { key: k.key, action: 'none' }, warnings };
      const partial = await store.partialPath(k.key);
      const layers: Record<string, string> = {};
      const disks = dut.image.disks?.slice(-plan.bases.length) ?? [];
      try {
        const saveMs = await saveVmState(dut.qmpSocket, partial, async () => {
          for (const [n, d] of (plan.bases.length ? disks : []).entries()) {
            layers[`disk${n}.qcow2`] = `${partial}.disk${n}`;
            await execOk('cp', ['--sparse=always', d, layers[`disk${n}.qcow2`]!]);
          }
          if (plan.varsTemplate && dut.image.firmwareVars) {
            layers['vars.fd'] = `${partial}.vars`;
            await copyFile(dut.image.firmwareVars, layers['vars.fd']);
          }
        });
        await store.commit(k, partial, saveMs, dut.banner, layers);
        boot.snapshot = { key: k.key, action: 'saved', saveMs: Math.round(saveMs) };
        dut.console.note(`VM state saved as snapshot ${k.key} in ${saveMs.toFixed(0)} ms`);
      } catch (e) {
        warnings.push(`could not save snapshot ${k.key}: ${(e as Error).message}`);
      } finally {
        for (const f of [partial, ...Object.values(layers)]) await rm(f, { force: true });
      }
      return { dut, boot };
    } finally {
      this.inflight.delete(k.key);
      settle();
      await lock.release();
    }
  }
}

const RESET_FAILED = 'resetting clock and RNG after restore failed';

/** What must not be shared between runs restored from one state: the clock and the RNG. */
async function resetAfterRestore(dut: QemuDut): Promise<void> {
  // printf %b, not base64: OpenWrt's busybox has no base64.
  const seed = printfEscape(randomBytes(64));
  const r = await dut.shell.run(`date -u -s @${Math.floor(Date.now() / 1000)} >/dev/null && printf '%b' '${seed}' > /dev/urandom`);
  if (r.exitCode !== 0) throw new Error(`${RESET_FAILED}: ${r.stderr.trim()}`);
}
