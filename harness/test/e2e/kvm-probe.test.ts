import { accessSync, constants, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDefaultImage } from '../../src/images/default-image.js';
import { chooseAccel } from '../../src/targets/accel.js';
import { loadProfile } from '../../src/targets/qemu-profile.js';

const HAVE_KVM = (() => {
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
    return true;
  } catch {
    return false;
  }
})();

describe.runIf(HAVE_KVM)('the KVM probe', () => {
  // Where /dev/kvm opens, the harness boots the default image once with KVM to see whether it
  // works (on this machine kind it exists but does not), with a transcript of its own.
  it('decides by a real short boot and leaves none of its files behind', async () => {
    const profile = await loadProfile('x86-64');
    const image = await loadDefaultImage();
    const cache = mkdtempSync(join(tmpdir(), 'hil-accel-cache-'));
    const was = process.env.HIL_CACHE;
    process.env.HIL_CACHE = cache;
    try {
      const choice = await chooseAccel(profile, image);
      expect(choice.reason).toMatch(/^KVM probe (booted in \d+ ms|failed \(.+\); using TCG)$/);
      expect(readdirSync(tmpdir()).filter((f) => f.startsWith('hil-kvm-probe-'))).toEqual([]);
    } finally {
      if (was === undefined) delete process.env.HIL_CACHE;
      else process.env.HIL_CACHE = was;
      rmSync(cache, { recursive: true, force: true });
    }
  }, 60_000);
});
describe.skipIf(HAVE_KVM)('the KVM probe', () => {
  it.skip('skipped: /dev/kvm does not open here, so the harness never probes it', () => {});
});
