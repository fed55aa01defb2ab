import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConntrack } from '../../src/probes/conntrack.js';
import { parseNftJson } from '../../src/probes/nft.js';
import type { Snapshot } from '../../src/probes/snapshot.js';
import { TrafficStop } from '../../src/run/traffic-stop.js';
import { expectSchema, trafficSchema } from '../../src/scenario/schema.js';
import type { Shell } from '../../src/targets/types.js';
import type { TrafficRun } from '../../src/traffic/iperf3.js';

const fx = (n: string) => readFileSync(new URL(`../fixtures/${n}`, import.meta.url), 'utf8');
const offloaded = parseConntrack(fx('proc-nf_conntrack-offloaded.txt'));
const rs = parseNftJson(fx('nft-ruleset-sw.json'));
// No engine in these scenarios: the stop never asks the DUT anything.
const shell = { run: () => Promise.reject(new Error('not asked')) } as unknown as Shell;

/** A stop whose traffic began `ago` ms before now, with one TCP item on 5201 (the fixture's). */
function setup(ago: number, opts: { fixed?: boolean; minDuration?: number; traffic?: boolean } = {}) {
  const t0 = performance.now() - ago;
  const traffic = opts.traffic === false ? [] : [trafficSchema.parse({ proto: 'tcp', duration: 30, ...(opts.minDuration !== undefined && { minDuration: opts.minDuration }) })];
  const stop = new TrafficStop(expectSchema.parse({ flows: { state: 'sw' } }), traffic, [5201], t0, { fixed: Boolean(opts.fixed), shell, ethtool: 'ethtool' });
  stop.controls[0]?.onStart?.(0);
  const feed = async (n: number) => {
    for (let i = 0; i < n; i++) await stop.onSample({ tMs: 100 + i, startMs: 100 + i, conntrack: offloaded, ruleset: rs } as Snapshot);
  };
  return { stop, feed };
}

describe('adaptive traffic\'s stop', () => {
  it('stops the streams once the flows are decided, and says why', async () => {
    const { stop, feed } = setup(5000);
    await feed(2);
    expect(stop.controls[0]!.stop!.aborted).toBe(false);
    await feed(1);
    expect(stop.controls[0]!.stop!.aborted).toBe(true);
    expect(stop.stopped!.why).toMatch(/^expectations decided at 5\.\d s: flows in sw in 3 consecutive samples$/);
  });

  it('never before the stream\'s minDuration', async () => {
    const { stop, feed } = setup(5000, { minDuration: 10 });
    await feed(5);
    expect(stop.controls[0]!.stop!.aborted).toBe(false);
    const run = { spec: trafficSchema.parse({ duration: 30 }), end: { by: 'duration', atMs: 30000, why: 'ran its full duration (30 s)' } } as TrafficRun;
    stop.explain([run]);
    expect(run.end.why).toMatch(/^ran its full duration \(30 s\); undecided at the last sample \(5\.\d s\): minDuration not reached$/);
  });

  it('--fixed-duration: no stop signal at all, and the streams say so', () => {
    const { stop } = setup(5000, { fixed: true });
    expect(stop.controls[0]!.stop).toBeUndefined();
    const run = { spec: trafficSchema.parse({ duration: 3 }), end: { by: 'duration', atMs: 3000, why: 'ran its full duration (3 s)' } } as TrafficRun;
    stop.explain([run]);
    expect(run.end.why).toBe('ran its fixed duration (3 s, --fixed-duration)');
  });

  it('a flood alone is never said to be stopped', async () => {
    const { stop, feed } = setup(5000, { traffic: false });
    await feed(5);
    expect(stop.stopped).toBeUndefined();
  });

  it('a minDuration longer than the duration is refused when the scenario is read', () => {
    expect(() => trafficSchema.parse({ duration: 2, minDuration: 3 })).toThrow(/minDuration must not exceed duration/);
  });
});
