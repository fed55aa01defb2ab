import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/report/types.js';
import { leftovers } from './leftovers.js';

// Faults injected into real runs on the default image: HIL_FAULT (harness/src/run/faults.ts),
// signals, and report folders that cannot take the output.
const root = new URL('../../../', import.meta.url).pathname;
const hilJs = join(root, 'harness/bin/hil.js');
const work = mkdtempSync(join(tmpdir(), 'hil-e2e-faults-'));
const scenario = join(work, 'faulty.yaml');
// minDuration: the faults land 1.5 s into the traffic, which adaptive traffic could have ended by then.
writeFileSync(scenario, 'offload: sw\ntimeouts: { commandMs: 3000 }\ntraffic:\n  - { proto: tcp, duration: 4, minDuration: 4 }\nexpect:\n  flows: { state: sw }\n');
let n = 0;
const outDir = () => join(work, `out-${++n}`);
const report = (dir: string) => JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as RunReport;
const mounts: string[] = [];
afterAll(async () => {
  for (const m of mounts) await execa('umount', [m], { reject: false });
});

async function tmpfs(size: string, opts = ''): Promise<string> {
  const dir = join(work, `mnt-${++n}`);
  mkdirSync(dir);
  await execa('mount', ['-t', 'tmpfs', '-o', `size=${size}${opts}`, 'tmpfs', dir]);
  mounts.push(dir);
  return dir;
}

describe('faults, end to end', () => {
  it.each([
    ['panic', 'error', /traffic stopped: the DUT console closed: .*the DUT kernel panicked \(Kernel panic - not syncing: sysrq triggered crash\)/],
    ['silent', 'error', /traffic stopped: the DUT stopped answering: .*timed out after 3000 ms/],
    ['qemu-killed', 'error', /traffic stopped: the DUT console closed: .*QEMU exited/],
    ['iperf3-dies', 'failed', /control socket has closed unexpectedly|unable to|error/],
  ])('%s mid-traffic: status %s with the reason, report written, lab gone', async (fault, status, reason) => {
    const out = outDir();
    const r = await execa('node', [hilJs, 'run', scenario, '--out', out], { cwd: root, reject: false, env: { HIL_FAULT: `${fault}@1500` } });
    expect(r.exitCode).toBe(1);
    const s = report(out).scenarios[0]!;
    expect(s.status).toBe(status);
    const text = s.reason ?? s.assertions.filter((a) => !a.passed).map((a) => a.actual).join('; ');
    expect(text).toMatch(reason);
    expect(existsSync(join(out, 'junit.xml'))).toBe(true);
    expect(await leftovers()).toEqual([]);
  }, 120_000);

  it('a report folder that cannot be written: exit 2, one line, nothing started', async () => {
    const ro = await tmpfs('1m', ',ro');
    const r = await execa('node', [hilJs, 'run', scenario, '--out', join(ro, 'out')], { cwd: root, reject: false });
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim()).toMatch(/^hil: cannot create the report folder .*\/out: .*: EROFS$/);
    expect(await leftovers()).toEqual([]);
  }, 60_000);

  it('disk full while writing the transcript: exit 1, the loss named, no half-written report, lab gone', async () => {
    const small = await tmpfs('16k');
    const out = join(small, 'out');
    const r = await execa('node', [hilJs, 'run', scenario, '--out', out], { cwd: root, reject: false });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/the run's output is incomplete \(exit 1\)/);
    expect(r.stderr).toMatch(/console transcript incomplete: .*console\.log: ENOSPC/);
    expect(r.stderr).toMatch(/could not write report\.json: ENOSPC/);
    const files = readdirSync(out, { recursive: true }).map(String);
    expect(files.filter((f) => /partial/.test(f))).toEqual([]);
    if (files.includes('report.json')) expect(() => report(out)).not.toThrow();
    expect(await leftovers()).toEqual([]);
  }, 60_000);

  const STEPS = ['lab', 'boot', 'platform', 'wire', 'configure', 'traffic', 'collect', 'teardown'];
  it.each(STEPS.map((step, i) => [step, i % 2 ? 'SIGTERM' : 'SIGINT'] as const))('%s: %s stops the run cleanly', async (step, sig) => {
    const out = outDir();
    const p = execa('node', [hilJs, 'run', scenario, '--out', out], { cwd: root, reject: false, env: { CI: 'true' }, forceKillAfterDelay: false });
    let err = '';
    let sent = false;
    p.stderr!.on('data', (d) => {
      err += d;
      if (!sent && new RegExp(`^  faulty \\[[\\d.]+s\\] ${step}`, 'm').test(err)) {
        sent = true;
        p.kill(sig);
      }
    });
    const r = await p;
    expect(sent, err).toBe(true);
    expect(r.exitCode).toBe(sig === 'SIGINT' ? 130 : 143);
    const s = report(out).scenarios[0]!;
    // Stopped while tearing down, the scenario may already have its verdict.
    if (s.status !== 'passed') expect(s.reason).toMatch(/interrupted/);
    expect(await leftovers()).toEqual([]);
  }, 60_000);
});
