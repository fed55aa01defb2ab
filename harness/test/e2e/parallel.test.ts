import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/report/types.js';
import { leftovers } from './leftovers.js';

const root = new URL('../../../', import.meta.url).pathname;

describe('parallel labs', () => {
  it('eight labs at once on this machine: each passes on its own lab, with its own streams, and all are torn down', async () => {
    // Eight TCG guests on two cores: 6 s of traffic leaves the sampler time to see each stream
    // (2 s is too short under this overload; the verdicts would be about the host, not the DUT).
    const dir = mkdtempSync(join(tmpdir(), 'hil-e2e-par-'));
    const kinds = ['sw-offload', 'udp-offload', 'hw-offload', 'no-offload'];
    for (let i = 0; i < 8; i++) {
      const base = kinds[i % kinds.length]!;
      const text = readFileSync(join(root, 'scenarios', `${base}.yaml`), 'utf8')
        .replace(/^name: .*$/m, '').replace(/duration: \d+/g, 'duration: 6');
      writeFileSync(join(dir, `par-${i}-${base}.yaml`), text);
    }
    const out = join(dir, 'out');
    const run = execa('node', [join(root, 'harness/bin/hil.js'), 'run', dir, '--jobs', '8', '--out', out], { cwd: root, reject: false, env: { CI: 'true' } });
    // How many labs existed at once, from the kernel's own list of namespaces.
    let most = 0;
    let done = false;
    const watch = (async () => {
      while (!done) {
        const dut = (await execa('ip', ['netns', 'list'])).stdout.split('\n').filter((l) => /^hil-\w+-dut/.test(l)).length;
        most = Math.max(most, dut);
        await new Promise((res) => setTimeout(res, 200));
      }
    })();
    const r = await run;
    done = true;
    await watch;
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as RunReport;
    expect(report.host.jobs).toBe(8);
    expect(report.scenarios.map((s) => `${s.name}: ${s.status} ${s.reason ?? s.assertions.filter((a) => !a.passed).map((a) => a.actual).join('; ')}`.trim()))
      .toEqual(report.scenarios.map((s) => `${s.name}: passed`));
    expect(r.exitCode).toBe(0);
    // Eight labs of their own, all up at the same time.
    const labs = report.scenarios.map((s) => readFileSync(s.transcript!, 'utf8').match(/-name (hil-\w+)/)![1]);
    expect(new Set(labs).size).toBe(8);
    expect(most).toBe(8);
    expect(await leftovers()).toEqual([]);
  }, 300_000);
});
