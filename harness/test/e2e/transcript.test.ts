import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/report/types.js';
import { foldsPath, rawPath, type Fold } from '../../src/targets/transcript.js';
import { leftovers } from './leftovers.js';
import { outputOf, readableTranscript } from './transcript-shape.js';

const root = new URL('../../../', import.meta.url).pathname;

describe('the console transcript', () => {
  it('hw-fallback: fw4 reload and nft list flowtables at a prompt, each with its own output; samples folded; no protocol frame; the raw bytes beside it', async () => {
    const out = mkdtempSync(join(tmpdir(), 'hil-e2e-transcript-'));
    const r = await execa('node', [join(root, 'harness/bin/hil.js'), 'run', 'scenarios/hw-fallback.yaml', '--out', out], { reject: false, cwd: root });
    expect(r.exitCode, r.stderr).toBe(0);
    const s = (JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as RunReport).scenarios[0]!;
    const text = readableTranscript(s.transcript!);

    // The warning under the command that printed it, on stderr.
    expect(outputOf(text, /^\/sbin\/fw4 reload$/)).toBe('stderr| [!] Hardware flow offloading unavailable, falling back to software offloading');
    // The final snapshot's commands apart, each with its own output.
    expect(outputOf(text, /^\/usr\/sbin\/nft list flowtables$/, 'last')).toMatch(/^table inet fw4 \{\n\tflowtable ft \{\n\t\thook ingress priority filter\n\t\tdevices = \{ eth0, eth1 \}/);
    expect(outputOf(text, /^\/usr\/sbin\/nft -j list ruleset$/, 'last')).toMatch(/^\{"nftables": \[/);
    expect(outputOf(text, /^cat \/proc\/net\/nf_conntrack$/, 'last')).toMatch(/^ipv4 +2 tcp .* src=192\.168\.1\.2 dst=10\.99\.0\.1 /m);

    // Samples: one line each, the full text in the folds file.
    const folded = [...text.matchAll(/# conntrack sample (\d+): (\d+) entr(?:y|ies)(?:, (\d+) \[OFFLOAD\])?.* \(folded (\d+)\)$/gm)];
    expect(folded.length).toBeGreaterThanOrEqual(3);
    const folds = new Map(readFileSync(foldsPath(s.transcript!), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Fold).map((f) => [f.id, f]));
    for (const m of folded) {
      const f = folds.get(Number(m[4]))!;
      expect(f.command).toBe('cat /proc/net/nf_conntrack');
      expect(f.stdout.split('\n').filter(Boolean)).toHaveLength(Number(m[2]));
      expect((f.stdout.match(/\[OFFLOAD\]/g) ?? []).length).toBe(Number(m[3] ?? 0));
    }
    expect(folded.some((m) => Number(m[3]) > 0)).toBe(true);

    // For debugging, every byte as it came: the agent's frames are there.
    expect(existsSync(rawPath(s.transcript!))).toBe(true);
    expect(readFileSync(rawPath(s.transcript!), 'latin1')).toMatch(/\x1e\w+ X 0\n/);
    expect(await leftovers()).toEqual([]);
  }, 180_000);
});
