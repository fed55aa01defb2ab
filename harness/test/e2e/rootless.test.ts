import { chmodSync, chownSync, cpSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/report/types.js';
import { cacheDir } from '../../src/util/paths.js';
import { leftovers } from './leftovers.js';

const root = new URL('../../../', import.meta.url).pathname;
const hilJs = join(root, 'harness/bin/hil.js');
const NOBODY = 65534;

/** hil run while watching the host: namespaces named like a lab's, seen from outside. */
async function runWatching(cmd: string, args: string[], env: Record<string, string>) {
  const p = execa(cmd, args, { cwd: root, reject: false, env: { CI: 'true', ...env } });
  let seen = 0;
  let qemu = 0;
  let done = false;
  const watch = (async () => {
    while (!done) {
      seen = Math.max(seen, (await execa('ip', ['netns', 'list'])).stdout.split('\n').filter((l) => l.startsWith('hil-')).length);
      qemu = Math.max(qemu, (await execa('pgrep', ['-f', '-c', '^qemu-system.*-name hil-'], { reject: false })).stdout.trim() === '0' ? 0 : 1);
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  const r = await p;
  done = true;
  await watch;
  return { r, seen, qemu };
}

describe('rootless labs', () => {
  it('--rootless: the lab runs inside namespaces of its own; the host never sees them', async () => {
    const out = mkdtempSync(join(tmpdir(), 'hil-e2e-rootless-'));
    const { r, seen, qemu } = await runWatching('node', [hilJs, 'run', '--rootless', 'scenarios/sw-offload.yaml', '--out', out], {});
    expect(r.exitCode, r.stderr).toBe(0);
    expect((JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as RunReport).scenarios[0]!.flows[0]!.state).toBe('sw');
    expect(qemu).toBe(1);
    expect(seen).toBe(0);
    expect(await leftovers()).toEqual([]);
  }, 120_000);

  it('SIGTERM to a rootless run reaches the harness inside: 143, a partial report, nothing left', async () => {
    const out = mkdtempSync(join(tmpdir(), 'hil-e2e-rootless-'));
    const p = execa('node', [hilJs, 'run', '--rootless', 'scenarios/sw-offload.yaml', '--out', out], { cwd: root, reject: false, forceKillAfterDelay: false, env: { CI: 'true' } });
    let err = '';
    let sent = false;
    p.stderr!.on('data', (d) => {
      err += d;
      if (!sent && /\] traffic/.test(err)) sent = p.kill('SIGTERM');
    });
    const r = await p;
    expect(r.exitCode, err).toBe(143);
    expect((JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as RunReport).scenarios[0]!.reason).toMatch(/interrupted \(SIGTERM\)/);
    expect(await leftovers()).toEqual([]);
  }, 120_000);

  it('as an unprivileged user: a clear error where /dev/net/tun is closed, a passing lab where it is open', async () => {
    const tunMode = statSync('/dev/net/tun').mode & 0o777;
    // The user's own cache with the default image root built (its snapshots go there too).
    const cache = mkdtempSync(join(tmpdir(), 'hil-e2e-nobody-'));
    chmodSync(cache, 0o755);
    cpSync(join(cacheDir(), 'images'), join(cache, 'images'), { recursive: true, verbatimSymlinks: true });
    const own = (p: string) => execa('chown', ['-R', `${NOBODY}:${NOBODY}`, p]);
    await own(cache);
    const out = join(cache, 'out');
    const asNobody = (extra: string[] = []) => runWatching('runuser', ['-u', 'nobody', '--', 'env', `HOME=${cache}`, `HIL_CACHE=${cache}`, 'CI=true',
      process.execPath, hilJs, 'run', 'scenarios/sw-offload.yaml', '--out', out, ...extra], {});
    try {
      chmodSync('/dev/net/tun', 0o600);
      const closed = await asNobody();
      expect(closed.r.exitCode).toBe(2);
      expect(closed.r.stderr).toMatch(/\/dev\/net\/tun is not usable by this user .*chmod 0666 \/dev\/net\/tun/);

      chmodSync('/dev/net/tun', 0o666);
      const open = await asNobody();
      expect(open.r.exitCode, open.r.stderr).toBe(0);
      const rep = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as RunReport;
      expect(rep.scenarios[0]!.status).toBe('passed');
      expect(statSync(join(out, 'report.json')).uid).toBe(NOBODY);
      expect(open.seen).toBe(0);
    } finally {
      chmodSync('/dev/net/tun', tunMode);
      chownSync(cache, 0, 0);
      await execa('rm', ['-rf', cache]);
    }
    expect(await leftovers()).toEqual([]);
  }, 240_000);
});
