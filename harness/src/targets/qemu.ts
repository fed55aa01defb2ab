import type { BootImage } from '../images/default-image.js';
import { PtyConsole } from './pty-console.js';
import { ConsoleShell } from './shell-protocol.js';
import { qemuArgs } from './qemu-args.js';
import type { NicRole, QemuProfile } from './qemu-profile.js';
import type { Accel, Dut } from './types.js';

export interface QemuBootOptions {
  name: string;
  profile: QemuProfile;
  image: BootImage;
  accel: { accel: Accel; reason: string };
  /** Network namespace QEMU runs in (where its taps are when it opens them). */
  netns?: string;
  taps: Partial<Record<NicRole, string>>;
  withoutModules?: readonly string[];
  transcript: string;
  bootTimeoutMs: number;
  commandTimeoutMs: number;
  signal?: AbortSignal;
}

/** Boots a QEMU DUT and waits for its agent. On any failure QEMU is gone before this rejects. */
export async function bootQemu(o: QemuBootOptions): Promise<Dut> {
  const args = qemuArgs({ ...o, accel: o.accel.accel });
  const [file, argv] = o.netns ? ['ip', ['netns', 'exec', o.netns, o.profile.binary, ...args]] : [o.profile.binary, args];
  const start = performance.now();
  const con = new PtyConsole(file, argv, o.transcript);
  con.note(`boot: ${file} ${argv.join(' ')}`);
  const shell = new ConsoleShell(con, o.commandTimeoutMs);
  try {
    const banner = await shell.waitReady(o.bootTimeoutMs, o.signal);
    const bootMs = performance.now() - start;
    con.note(`ready after ${bootMs.toFixed(0)} ms (${o.accel.accel})`);
    return {
      shell,
      accel: o.accel.accel,
      accelReason: o.accel.reason,
      bootMs,
      banner,
      stop: () => con.kill(),
    };
  } catch (e) {
    await con.kill();
    throw e;
  }
}
