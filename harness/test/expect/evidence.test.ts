import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLOSE_SLOW_PATH_PACKETS, dataEntries, Evidence, SAMPLES_IN_STATE, SQM_LATENCY_SAMPLES, SQM_LATENCY_SHARE, WINDOW_MS, type TrafficSlot } from '../../src/expect/evidence.js';
import { parseConntrack } from '../../src/probes/conntrack.js';
import { parseNftJson } from '../../src/probes/nft.js';
import type { Snapshot } from '../../src/probes/snapshot.js';
import { expectSchema, trafficSchema } from '../../src/scenario/schema.js';

const fx = (n: string) => readFileSync(new URL(`../fixtures/${n}`, import.meta.url), 'utf8');
const rs = parseNftJson(fx('nft-ruleset-sw.json'));
const offloaded = parseConntrack(fx('proc-nf_conntrack-offloaded.txt'));
const slowpath = parseConntrack(fx('proc-nf_conntrack-slowpath.txt'));
// The captured sample's three iperf3 tests: TCP/IPv4 on 5201, TCP/IPv6 on 5202, UDP/IPv4 on 5203.
const slots = (): TrafficSlot[] => [
  { spec: trafficSchema.parse({ proto: 'tcp' }), port: 5201, startedAtMs: 0 },
  { spec: trafficSchema.parse({ proto: 'tcp', family: 'ipv6' }), port: 5202, startedAtMs: 0 },
  { spec: trafficSchema.parse({ proto: 'udp', bitrate: '100M' }), port: 5203, startedAtMs: 0 },
];
const snap = (tMs: number, conntrack = offloaded, full = false): Snapshot => ({ tMs, startMs: tMs - 50, conntrack, ruleset: rs, ...(full && { fw4Table: null }) });
const feed = (ev: Evidence, n: number, ct = offloaded, from = 500) => {
  for (let i = 0; i < n; i++) ev.observe(snap(from + i * 300, ct));
};

describe('what ends adaptive traffic', () => {
  it('takes each data stream of a traffic item, not iperf3\'s control connection', () => {
    const [tcp, , udp] = slots();
    const d = dataEntries(snap(1000), tcp!);
    expect(d.map((e) => e.orig.sport)).toEqual([56906]);
    // UDP's control connection is TCP: not the item's protocol.
    expect(dataEntries(snap(1000), udp!).map((e) => e.proto)).toEqual(['udp']);
  });

  it('decides flows.state after that many consecutive samples in the state, and not before', () => {
    const ev = new Evidence(expectSchema.parse({ flows: { state: 'sw' } }), slots());
    feed(ev, SAMPLES_IN_STATE - 1);
    expect(ev.pending(2000)).toEqual(expect.arrayContaining([expect.stringMatching(/flows of traffic\[0\]: 2 of 3 samples in sw/)]));
    feed(ev, 1, offloaded, 1500);
    expect(ev.pending(2000)).toEqual([]);
  });

  it('starts counting again when a sample breaks the streak, and never ends on the wrong state', () => {
    const ev = new Evidence(expectSchema.parse({ flows: { state: 'sw' } }), slots());
    feed(ev, 2);
    feed(ev, 1, slowpath, 1100);
    feed(ev, 2, offloaded, 1400);
    expect(ev.pending(3000)).toHaveLength(3);
    const none = new Evidence(expectSchema.parse({ flows: { state: 'none' } }), slots());
    feed(none, 10);
    expect(none.pending(5000)).toHaveLength(3);
  });

  it('ignores samples asked before a stream began', () => {
    const s = slots().map((x) => ({ ...x, startedAtMs: 5000 }));
    const ev = new Evidence(expectSchema.parse({ flows: { state: 'sw' } }), s);
    feed(ev, 5, offloaded, 1000);
    expect(ev.pending(6000)).toHaveLength(3);
  });

  it('waits for the windows of expectations judged over time', () => {
    const ev = new Evidence(expectSchema.parse({ sqm: { state: 'bypassed' }, forwardLog: { minLinesPerSecond: 1 } }), slots(), { latencyWarmupMs: 1500 });
    expect(ev.pending(1900)).toEqual([expect.stringMatching(/^sqm: 1\.9 of 4\.5 s/), expect.stringMatching(/^forwardLog/)]);
    expect(ev.pending(1500 + WINDOW_MS.sqmAfterWarmup)).toEqual([]);
    const hw = new Evidence(expectSchema.parse({ flows: { state: 'hw' }, ctAccounting: { minFraction: 0.5 } }), slots());
    const acct = (ms: number) => hw.pending(ms).filter((p) => p.startsWith('ctAccounting'));
    // Never early: the fraction counted depends on how long the hardware flow ran.
    expect(WINDOW_MS.ctAccountingHw).toBe(Infinity);
    expect(acct(600_000)).toHaveLength(1);
    const sw = new Evidence(expectSchema.parse({ flows: { state: 'sw' }, ctAccounting: { minFraction: 0.5 } }), slots());
    expect(sw.pending(1000).filter((p) => p.startsWith('ctAccounting'))).toEqual([]);
  });

  it('ends effective SQM early only with enough probes under load, their median well inside the bound', () => {
    const stats = (samples: number, medianMs: number | null) => ({ samples, lost: 0, medianMs, p95Ms: medianMs });
    let l = { idle: stats(20, 2), loaded: stats(SQM_LATENCY_SAMPLES - 1, 4) };
    const ev = new Evidence(expectSchema.parse({ sqm: { state: 'effective', maxLatencyIncreaseMs: 15 } }), slots(), { latencyWarmupMs: 1500, latency: () => l });
    const at = 1500 + WINDOW_MS.sqmAfterWarmup;
    expect(ev.pending(at - 100)).toEqual(['sqm: 4.4 of 4.5 s of shaped traffic']);
    expect(ev.pending(at)).toEqual([`sqm: ${SQM_LATENCY_SAMPLES - 1} of ${SQM_LATENCY_SAMPLES} latency probes under load`]);
    // Within the bound (a rise of 13 ms against 15) is not yet well inside it.
    l = { idle: stats(20, 2), loaded: stats(40, 15) };
    expect(ev.pending(at)).toEqual(['sqm: latency under load +13.0 ms over idle, not yet within 12.0 ms']);
    l = { idle: stats(20, 2), loaded: stats(40, 2 + 15 * SQM_LATENCY_SHARE) };
    expect(ev.pending(at)).toEqual([]);
    expect(ev.describe()).toBe('sqm window, latency under load +12.0 ms over idle (40 probes)');
    // Without a probe there is nothing to judge the latency by: the traffic runs its duration.
    expect(new Evidence(expectSchema.parse({ sqm: { state: 'effective' } }), slots(), { latencyWarmupMs: 1500 }).pending(at)).toEqual(['sqm: no latency probe to judge by']);
  });

  it('decides a forward-chain ceiling on a full sample only, with every connection\'s close counted in', () => {
    let fwd = 0;
    const ev = new Evidence(expectSchema.parse({ forwardCounter: { maxFraction: 0.1 } }), slots(), { forwardCounter: () => fwd });
    // Data packets of the three items' streams in the sample; six connections (three streams, three control connections) may add their close.
    const packets = dataEntries(snap(0), slots()[0]!).concat(dataEntries(snap(0), slots()[1]!), dataEntries(snap(0), slots()[2]!)).reduce((a, e) => a + (e.packets.orig ?? 0) + (e.packets.reply ?? 0), 0);
    const close = 6 * CLOSE_SLOW_PATH_PACKETS;
    fwd = Math.floor(packets * 0.1) - close + 1;
    ev.observe(snap(1000, offloaded, true));
    expect(ev.pending(2000)).toEqual([`forwardCounter: fraction ${fwd} / ${packets}, not yet clear of its bound with 6 connections' close counted in`]);
    fwd = Math.floor(packets * 0.1) - close;
    ev.observe(snap(1300));
    expect(ev.pending(2000)).toHaveLength(1);
    ev.observe(snap(1600, offloaded, true));
    expect(ev.pending(2000)).toEqual([]);
    expect(ev.describe()).toBe(`forward-chain ${fwd} / ${packets} packets`);
  });

  it('keeps a forward-chain floor clear by half its room', () => {
    let fwd = 0;
    const ev = new Evidence(expectSchema.parse({ forwardCounter: { minFraction: 0.9 } }), slots(), { forwardCounter: () => fwd });
    const packets = [0, 1, 2].flatMap((i) => dataEntries(snap(0), slots()[i]!)).reduce((a, e) => a + (e.packets.orig ?? 0) + (e.packets.reply ?? 0), 0);
    fwd = Math.floor(packets * 0.94);
    ev.observe(snap(1000, offloaded, true));
    expect(ev.pending(2000)).toHaveLength(1);
    fwd = Math.ceil(packets * 0.95);
    ev.observe(snap(1300, offloaded, true));
    expect(ev.pending(2000)).toEqual([]);
  });

  it('leaves the engine\'s hits for last, and decides them on the counter', () => {
    const ev = new Evidence(expectSchema.parse({ flows: { state: 'sw' }, engine: { minHits: 1000 } }), slots());
    expect(ev.wantsEngineHits(2000)).toBe(false);
    feed(ev, SAMPLES_IN_STATE);
    expect(ev.wantsEngineHits(2000)).toBe(true);
    ev.engineHits = 999;
    expect(ev.pending(2000)).toEqual(['engine: 999 of 1000 hits']);
    ev.engineHits = 1000;
    expect(ev.pending(2000)).toEqual([]);
    expect(ev.describe()).toBe('flows in sw in 3 consecutive samples, engine hits 1000');
  });

  it('decides a mix of states once the counts are met and unchanged', () => {
    const ev = new Evidence(expectSchema.parse({ flows: { minPerState: { sw: 1 } } }), slots().slice(0, 1));
    feed(ev, SAMPLES_IN_STATE);
    expect(ev.pending(2000)).toEqual([]);
    const hw = new Evidence(expectSchema.parse({ flows: { minPerState: { hw: 1 } } }), slots().slice(0, 1));
    feed(hw, 5);
    expect(hw.pending(2000)).toHaveLength(1);
  });
});
