import { mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';

const root = new URL('../../../', import.meta.url).pathname;
const doctor = (env: Record<string, string> = {}) =>
  execa(process.execPath, [join(root, 'harness/bin/hil.js'), 'doctor'], { reject: false, cwd: root, env, extendEnv: true });

const made: string[] = [];
afterAll(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A PATH with every tool of this host but the ones named. */
function pathWithout(missing: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'hil-doctor-path-'));
  made.push(dir);
  for (const d of ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']) {
    for (const f of readdirSync(d, { withFileTypes: false }).map(String)) {
      if (missing.includes(f)) continue;
      try { symlinkSync(join(d, f), join(dir, f)); } catch { /* the first directory in PATH order wins */ }
    }
  }
  return dir;
}

describe('hil doctor', () => {
  it('on this host: everything a lab needs is there; KVM and docker are only warnings', async () => {
    const r = await doctor();
    expect(r.exitCode, r.stdout).toBe(0);
    for (const name of ['root', 'qemu', 'iperf3', 'ping', 'namespaces', 'default image', 'hosts image']) expect(r.stdout).toMatch(new RegExp(`^OK +${name} `, 'm'));
    expect(r.stdout).toMatch(/^(OK|WARN) +kvm /m);
    expect(r.stdout).toMatch(/ready to run labs/);
    expect((await execa('ip', ['netns', 'list'])).stdout).not.toMatch(/hil-doctor/);
  });

  it('a missing tool: FAIL, the apt command that fixes it, exit 1', async () => {
    const r = await doctor({ PATH: pathWithout(['iperf3', 'ping']) });
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/^FAIL +iperf3 +iperf3 not found\n +fix: apt-get install iperf3, or npm run setup/m);
    expect(r.stdout).toMatch(/^FAIL +ping +ping not found\n +fix: apt-get install iputils-ping/m);
    expect(r.stdout).toMatch(/^OK +qemu /m);
    expect(r.stdout).toMatch(/2 problem\(s\) stop labs from running/);
  });
});
