import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { Sampler } from '../../src/probes/snapshot.js';
import { parseNftJson } from '../../src/probes/nft.js';
import type { Platform } from '../../src/platforms/types.js';
import type { CommandResult, Shell } from '../../src/targets/types.js';

const fixture = (n: string) => readFileSync(new URL(`../fixtures/${n}`, import.meta.url), 'utf8');
const SEP = '--hil-snapshot-separator--';
const platform = { bin: { nft: '/usr/sbin/nft', tc: '/usr/sbin/tc' } } as unknown as Platform;

/** A DUT console that answers from captured outputs: conntrack alone, or conntrack, the ruleset and the flowtables. */
class CapturedShell implements Shell {
  readonly commands: string[] = [];
  async run(command: string): Promise<CommandResult> {
    this.commands.push(command);
    const ct = fixture('proc-nf_conntrack-offloaded.txt');
    const stdout = command === 'cat /proc/net/nf_conntrack'
      ? ct
      : [ct, fixture('nft-ruleset-sw.json'), fixture('nft-list-flowtables-offload.txt')].join(`${SEP}\n`);
    return { exitCode: 0, stdout, stderr: '' } as CommandResult;
  }
}

async function sample(shell: Shell, n: number, startRuleset?: ReturnType<typeof parseNftJson>, qdiscs = false, counters = true) {
  let seen = 0;
  let done!: () => void;
  const enough = new Promise<void>((r) => (done = r));
  const onSample = async () => {
    if (++seen === n) done();
  };
  const sampler = new Sampler({ shell, platform, t0: performance.now(), intervalMs: 1, qdiscs, counters, onSample, startRuleset });
  await sampler.start();
  await enough;
  await sampler.stop();
  return sampler.samples.slice(0, n);
}

const isFull = (c: string) => c.includes('nft -j list ruleset');

describe('Sampler', () => {
  it('begins with a full sample when it has no ruleset to start from', async () => {
    const shell = new CapturedShell();
    const samples = await sample(shell, 4);
    expect(shell.commands.slice(0, 4).map(isFull)).toEqual([true, false, false, true]);
    expect(samples[0]!.fw4Table).not.toBeUndefined();
    expect(samples[1]!.ruleset).toBe(samples[0]!.ruleset);
  });

  it('starts from a given ruleset: conntrack alone until the FULL_EVERY-th sample, each carrying that ruleset', async () => {
    const shell = new CapturedShell();
    const start = parseNftJson(fixture('nft-ruleset-none.json'));
    const samples = await sample(shell, 6, start);
    expect(shell.commands.slice(0, 6).map(isFull)).toEqual([false, false, true, false, false, true]);
    expect(samples[0]!.ruleset).toBe(start);
    expect(samples[1]!.ruleset).toBe(start);
    expect(samples[0]!.conntrack.length).toBeGreaterThan(0);
    expect(samples[2]!.ruleset).not.toBe(start);
    expect(samples[3]!.ruleset).toBe(samples[2]!.ruleset);
  });

  it('with the shapers\' counters to read, begins with a full sample all the same', async () => {
    const shell = new CapturedShell();
    await sample(shell, 4, parseNftJson(fixture('nft-ruleset-none.json')), true, false);
    expect(shell.commands.slice(0, 4).map(isFull)).toEqual([true, false, false, true]);
    expect(shell.commands[0]).toContain('qdisc show');
  });

  it('with no counters to read, reads conntrack alone once it has a ruleset, each sample carrying it', async () => {
    const start = parseNftJson(fixture('nft-ruleset-none.json'));
    const given = new CapturedShell();
    const samples = await sample(given, 6, start, false, false);
    expect(given.commands.slice(0, 6).map(isFull)).toEqual([false, false, false, false, false, false]);
    expect(samples.every((x) => x.ruleset === start)).toBe(true);
    const none = new CapturedShell();
    await sample(none, 4, undefined, false, false);
    expect(none.commands.slice(0, 4).map(isFull)).toEqual([true, false, false, false]);
  });

  it('asks the second sample an interval after the first began, not at once', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    try {
      const asked: number[] = [];
      const shell = new CapturedShell();
      const run = shell.run.bind(shell);
      shell.run = async (c: string) => {
        asked.push(performance.now());
        await new Promise((r) => setTimeout(r, 40));
        return run(c);
      };
      const sampler = new Sampler({ shell, platform, t0: performance.now(), intervalMs: 300, startRuleset: parseNftJson(fixture('nft-ruleset-none.json')) });
      const t0 = performance.now();
      await vi.advanceTimersByTimeAsync(0);
      const started = sampler.start();
      await vi.advanceTimersByTimeAsync(40);
      await started;
      await vi.advanceTimersByTimeAsync(700);
      await sampler.stop();
      expect(asked.slice(0, 3).map((t) => t - t0)).toEqual([0, 300, 600]);
    } finally {
      vi.useRealTimers();
    }
  });
});
