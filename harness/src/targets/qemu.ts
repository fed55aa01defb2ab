import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { BootImage } from '../images/default-image.js';
import { PtyConsole } from './pty-console.js';
import { LoginTimeoutError } from './openwrt-login.js';
import { ConsoleShell, ShellTimeoutError } from './shell-protocol.js';
import { qemuArgs } from './qemu-args.js';
import type { NicRole, QemuProfile } from './qemu-profile.js';
import { readGuestCpus } from './guest-cpus.js';
import { readTxRings } from './tx-rings.js';
import type { Accel, Dut } from './types.js';

/** Every QEMU DUT's QMP socket lives here (saving its state, reading its NICs' rings). */
const QMP_DIR = process.env.HIL_QMP_DIR ?? '/run/offload-hil/qmp';
/** Where a QEMU DUT of this name has its QMP socket, unless the caller gives one. */
export const qmpSocketPath = (name: string): string => join(QMP_DIR, `${name}.sock`);

export interface QemuBootOptions {
  name: string;
  profile: QemuProfile;
  image: BootImage;
  accel: { accel: Accel; reason: string };
  /** Network namespace QEMU runs in (where its taps are when it opens them). */
  netns?: string;
  taps: Partial<Record<NicRole, string>>;
  withoutModules?: readonly string[];
  /** offload-hil's kernel flavour (qemu-args). */
  flavour?: string;
  /** QMP socket: the caller's own; absent, one in QMP_DIR named for the VM, removed when it stops. */
  qmpSocket?: string;
  /** Start from this saved state; banner is what the guest said when it was saved. */
  restore?: { state: string; banner: Record<string, string> };
  /** Gets a system's console from boot to the agent (OpenWrt: press Enter, then start it). */
  login?: (con: PtyConsole, timeoutMs: number, signal?: AbortSignal) => Promise<void>;
  transcript: string;
  bootTimeoutMs: number;
  commandTimeoutMs: number;
  signal?: AbortSignal;
}

export interface QemuDut extends Dut {
  console: PtyConsole;
  qmpSocket: string;
  /** What it booted from (its disks and firmware variables are this run's own). */
  image: BootImage;
}

/** Boots (or restores) a QEMU DUT and waits for its agent. On any failure QEMU is gone before this rejects. */
export async function bootQemu(o: QemuBootOptions): Promise<QemuDut> {
  const ownQmp = !o.qmpSocket;
  if (ownQmp) await mkdir(QMP_DIR, { recursive: true });
  const qmpSocket = o.qmpSocket ?? qmpSocketPath(o.name);
  const removeQmp = () => (ownQmp ? rm(qmpSocket, { force: true }) : Promise.resolve());
  const args = qemuArgs({ ...o, qmpSocket, accel: o.accel.accel, incoming: o.restore?.state, serialLog: `${o.transcript}.serial` });
  const [file, argv] = o.netns ? ['ip', ['netns', 'exec', o.netns, o.profile.binary, ...args]] : [o.profile.binary, args];
  const start = performance.now();
  const con = new PtyConsole(file, argv, o.transcript);
  con.note(`${o.restore ? 'restore' : 'boot'}: ${file} ${argv.join(' ')}`);
  const shell = new ConsoleShell(con, o.commandTimeoutMs);
  try {
    if (o.login && !o.restore) await o.login(con, o.bootTimeoutMs, o.signal);
    const left = o.login ? Math.max(1000, o.bootTimeoutMs - (performance.now() - start)) : o.bootTimeoutMs;
    if (o.restore) shell.setTty(o.restore.banner.tty);
    const banner = o.restore
      ? await shell.waitAnswer(o.bootTimeoutMs, o.signal).then(() => o.restore!.banner)
      : await shell.waitReady(left, o.signal);
    const bootMs = performance.now() - start;
    con.transcript.ready();
    con.note(`ready after ${bootMs.toFixed(0)} ms (${o.accel.accel}${o.restore ? ', restored' : ''})`);
    const roles = o.profile.nics.map((n) => n.role).filter((r) => o.taps[r]);
    return {
      shell,
      console: con,
      qmpSocket,
      image: o.image,
      accel: o.accel.accel,
      accelReason: o.accel.reason,
      bootMs,
      banner,
      txRings: () => readTxRings(qmpSocket, roles),
      stop: async () => {
        await con.kill();
        await removeQmp();
      },
    };
  } catch (e) {
    // A boot that went silent until its timeout: where QEMU has the guest says why.
    if ((e instanceof ShellTimeoutError || e instanceof LoginTimeoutError) && !con.closed) {
      const where = await readGuestCpus(qmpSocket).catch((q: Error) => `QEMU could not be asked where the guest is: ${q.message}`);
      e.message = `${e.message}; ${where}`;
      con.note(where);
    }
    await con.kill();
    await removeQmp();
    throw e;
  }
}
