import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { junitXml } from '../../src/report/junit.js';
import { mergeReports } from '../../src/report/merge.js';
import type { RunReport } from '../../src/report/types.js';

const real = JSON.parse(await readFile(new URL('../fixtures/report-run.json', import.meta.url), 'utf8')) as RunReport;
let dir: string;
beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'hil-merge-'))));
afterEach(() => rm(dir, { recursive: true, force: true }));

/** The real run cut into shards, each saved as a CI job would leave it. */
async function shard(i: number, names: string[], startOffsetMs: number): Promise<string> {
  const d = join(dir, `shard-${i}`);
  await mkdir(d, { recursive: true });
  const r: RunReport = {
    ...real, runId: `job-${i}`, startedAt: new Date(Date.parse(real.startedAt) + startOffsetMs).toISOString(),
    shard: { index: i, count: 2, of: real.scenarios.length },
    scenarios: real.scenarios.filter((s) => names.includes(s.name)).map((s) => ({ ...s, transcript: `/ci/job-${i}/${s.name}/console.log` })),
  };
  await writeFile(join(d, 'report.json'), JSON.stringify(r));
  return d;
}

describe('mergeReports', () => {
  it('every scenario of every shard once; times span all jobs; JUnit counts the whole', async () => {
    const a = await shard(1, ['sw-offload', 'sqm-sw-offload', 'failing-scenario'], 0);
    const b = await shard(2, ['hw-fallback', 'logging-sw-offload'], 5000);
    await mkdir(join(b, 'hw-fallback'));
    await writeFile(join(b, 'hw-fallback', 'console.log'), 'downloaded artifact\n');
    const m = await mergeReports([a, join(b, 'report.json')], 'merged-x');
    expect(m.scenarios.map((s) => s.name).sort()).toEqual(real.scenarios.map((s) => s.name).sort());
    expect(m.merged!.map((x) => x.runId)).toEqual(['job-1', 'job-2']);
    expect(m.durationMs).toBe(real.durationMs + 5000);
    expect(m.scenarios.find((s) => s.name === 'hw-fallback')!.transcript).toBe(join(b, 'hw-fallback', 'console.log'));
    expect(m.scenarios.find((s) => s.name === 'sw-offload')!.transcript).toBe('/ci/job-1/sw-offload/console.log');
    expect(junitXml(m)).toContain('tests="5" failures="1" errors="0" skipped="0"');
  });

  it('a scenario in two shards, a file that is not a report, a missing path: one clear error each', async () => {
    const a = await shard(1, ['sw-offload'], 0);
    const b = await shard(2, ['sw-offload'], 0);
    await expect(mergeReports([a, b], 'm')).rejects.toThrow(/scenario sw-offload is in both .*shard-1\/report\.json and .*shard-2\/report\.json/);
    await writeFile(join(dir, 'junk.json'), '{"hello": 1}');
    await expect(mergeReports([join(dir, 'junk.json')], 'm')).rejects.toThrow(/junk\.json: not an offload-hil report\.json/);
    await writeFile(join(dir, 'torn.json'), '{"version": 1, "scen');
    await expect(mergeReports([join(dir, 'torn.json')], 'm')).rejects.toThrow(/torn\.json: not JSON/);
    await expect(mergeReports([join(dir, 'nope')], 'm')).rejects.toThrow(/nope: no such file or folder/);
  });
});
