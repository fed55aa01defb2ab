import { access, constants, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import type { BootImage } from '../images/default-image.js';
import { exec } from '../util/exec.js';
import { cacheDir } from '../util/paths.js';
import { bootQemu } from './qemu.js';
import type { QemuProfile } from './qemu-profile.js';
import type { Accel } from './types.js';

export interface AccelChoice {
  accel: Accel;
  reason: string;
}

/**
 * KVM only where a real short boot proves it works: on some hosts /dev/kvm exists but
 * QEMU aborts or hangs with it. The verdict is cached per QEMU, host kernel and image.
 */
export async function chooseAccel(profile: QemuProfile, image: BootImage): Promise<AccelChoice> {
  const forced = process.env.HIL_ACCEL;
  if (forced === 'tcg' || forced === 'kvm') return { accel: forced, reason: `HIL_ACCEL=${forced}` };
  try {
    await access('/dev/kvm', constants.R_OK | constants.W_OK);
  } catch {
    return { accel: 'tcg', reason: 'no usable /dev/kvm' };
  }
  const qv = (await exec(profile.binary, ['--version'])).stdout.split('\n')[0] ?? '';
  const kv = (await exec('uname', ['-r'])).stdout.trim();
  const cacheFile = join(cacheDir(), 'accel', `${profile.name}-${image.key}.json`);
  const cached = await readFile(cacheFile, 'utf8').then(JSON.parse).catch(() => undefined);
  if (cached && cached.qemu === qv && cached.hostKernel === kv) return cached.choice as AccelChoice;
  const choice = await probeKvm(profile, image);
  await mkdir(join(cacheDir(), 'accel'), { recursive: true });
  await writeFile(cacheFile, JSON.stringify({ qemu: qv, hostKernel: kv, choice }, null, 2));
  return choice;
}

async function probeKvm(profile: QemuProfile, image: BootImage): Promise<AccelChoice> {
  // A folder of its own: the transcript has companions (the raw log, the serial log), all removed with it.
  const dir = await mkdtemp(join(tmpdir(), 'hil-kvm-probe-'));
  const transcript = join(dir, 'console.log');
  const start = performance.now();
  try {
    const dut = await bootQemu({
      name: 'hil-kvm-probe', profile, image, accel: { accel: 'kvm', reason: 'probe' },
      taps: {}, transcript, bootTimeoutMs: 15_000, commandTimeoutMs: 5_000,
    });
    await dut.stop();
    return { accel: 'kvm', reason: `KVM probe booted in ${(performance.now() - start).toFixed(0)} ms` };
  } catch (e) {
    const log = await readFile(transcript, 'utf8').catch(() => '');
    const why = log.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('[hil]')).pop() ?? (e as Error).message;
    return { accel: 'tcg', reason: `KVM probe failed (${why.slice(0, 160)}); using TCG` };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
