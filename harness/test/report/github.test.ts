import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { annotations, githubReporter, stepSummary } from '../../src/report/github.js';
import type { RunReport } from '../../src/report/types.js';

// A real run (see fixtures/README.md): four passing scenarios and failing-scenario.yaml, retried once.
const root = new URL('../../../', import.meta.url).pathname;
const real = JSON.parse(readFileSync(new URL('../fixtures/report-run.json', import.meta.url), 'utf8')) as RunReport;

describe('GitHub annotations', () => {
  it('one error per failed expectation, at its line in the scenario file, escaped as workflow commands', async () => {
    const a = await annotations(real, root);
    expect(a).toHaveLength(1);
    expect(a[0]).toMatch(/^::error file=harness\/test\/fixtures\/failing-scenario\.yaml,line=6,title=failing-scenario%3A flows\.state::expected all data streams \(at least 1\) last seen in state none; actual tcp 192\.168\.1\.2:\d+ -> 10\.99\.0\.1:5201: sw$/);
  });

  it('errors point at the file, flaky passes and a scenario\'s warnings are warnings, newlines never break a command', async () => {
    const s = real.scenarios[0]!;
    const r: RunReport = { ...real, scenarios: [
      { ...s, status: 'error', reason: 'boot failed:\nkernel panic' },
      { ...s, flaky: true, attempts: [{ attempt: 1, status: 'failed', durationMs: 1, reason: 'flows.state: x', transcript: null }, { attempt: 2, status: 'passed', durationMs: 1, transcript: null }] },
      { ...s, warnings: ['QEMU could not restore snapshot abc (exit 1): deleted, booting cold'] },
    ] };
    const a = await annotations(r, root);
    expect(a).toEqual([
      '::error file=scenarios/sw-offload.yaml,line=1,title=sw-offload%3A error::boot failed:%0Akernel panic',
      '::warning file=scenarios/sw-offload.yaml,line=1,title=sw-offload%3A flaky::passed on attempt 2 of 2; earlier: failed (flows.state: x)',
      '::warning file=scenarios/sw-offload.yaml,line=1,title=sw-offload%3A warning::QEMU could not restore snapshot abc (exit 1): deleted, booting cold',
    ]);
  });
});

describe('job summary', () => {
  it('a row per scenario and the failed expectation with both attempts', () => {
    const md = stepSummary(real);
    expect(md).toContain('4 passed, 1 failed, 0 error, 0 skipped');
    expect(md).toContain('| hw-fallback | ✅ passed | hw → sw (fallback warned) | sw |');
    expect(md).toMatch(/\| failing-scenario \| ❌ failed \| sw → sw \| sw \|/);
    expect(md).toMatch(/- `flows\.state`: expected all data streams/);
    expect(md).toMatch(/- attempt 1: failed: flows\.state/);
  });

  it('appends to GITHUB_STEP_SUMMARY and writes annotations only under GitHub Actions', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hil-gh-'));
    try {
      const file = join(dir, 'summary.md');
      const out = new PassThrough();
      let written = '';
      out.on('data', (c) => (written += c));
      await githubReporter({ GITHUB_STEP_SUMMARY: file }, out).onRunEnd!(real);
      await githubReporter({ GITHUB_STEP_SUMMARY: file }, out).onRunEnd!(real);
      expect((await readFile(file, 'utf8')).match(/### offload-hil/g)).toHaveLength(2);
      expect(written).toBe('');
      await githubReporter({ GITHUB_ACTIONS: 'true' }, out).onRunEnd!(real);
      expect(written).toMatch(/^::error file=/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
