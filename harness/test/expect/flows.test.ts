import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { matchFlows } from '../../src/expect/flows.js';
import { accounting } from '../../src/expect/accounting.js';
import { evaluate } from '../../src/expect/evaluate.js';
import { parseConntrack } from '../../src/probes/conntrack.js';
import { parseNftJson } from '../../src/probes/nft.js';
import { parseIperf3 } from '../../src/traffic/iperf3-parse.js';
import type { TrafficRun } from '../../src/traffic/iperf3.js';

const fx = (n: string) => readFileSync(new URL(`../fixtures/${n}`, import.meta.url), 'utf8');
const rs = parseNftJson(fx('nft-ruleset-sw.json'));
const run = (file: string, proto: 'tcp' | 'udp', family: 'ipv4' | 'ipv6'): TrafficRun => {
  const client = parseIperf3(fx(file));
  return { spec: { tool: 'iperf3', proto, family, direction: 'upload', congestion: 'cubic', streams: 1, duration: 4 }, port: 0, client, server: client, startedAtMs: 0, endedAtMs: 5000 };
};

describe('matching iperf3 streams to conntrack', () => {
  const runs = [run('iperf3-client-tcp-ipv4.json', 'tcp', 'ipv4'), run('iperf3-client-tcp-ipv6.json', 'tcp', 'ipv6'), run('iperf3-client-udp-ipv4.json', 'udp', 'ipv4')];
  const offloaded = { tMs: 2500, conntrack: parseConntrack(fx('proc-nf_conntrack-offloaded.txt')), ruleset: rs };

  it('finds each data stream (not the control connection), through NAT and for IPv6', () => {
    const flows = matchFlows(runs, [offloaded]);
    expect(flows).toHaveLength(3);
    expect(flows.map((f) => [f.proto, f.family, f.state, f.matched])).toEqual([
      ['tcp', 'ipv4', 'sw', true], ['tcp', 'ipv6', 'sw', true], ['udp', 'ipv4', 'sw', true],
    ]);
    expect(flows[0]!.reply).toMatchObject({ dst: '10.99.0.2' });
    expect(flows[1]!.reply).toMatchObject({ src: 'fd00:99::1', dst: 'fd00:1::2' });
    expect(flows[0]!.packets).toBeGreaterThan(1000);
  });

  it('counts the samples taken while each stream ran, found or not: 0 is a stream never looked at', () => {
    const before = { ...offloaded, tMs: -100 };
    const after = { ...offloaded, tMs: 5100 };
    expect(matchFlows(runs, [before, offloaded, after]).map((f) => f.samplesWhileRunning)).toEqual([1, 1, 1]);
    const unseen = matchFlows(runs, [before, after]);
    expect(unseen.map((f) => [f.samplesWhileRunning, f.matched])).toEqual([[0, false], [0, false], [0, false]]);
  });

  it('a sample asked for before a stream began and back while it ran did not look for it (seen: 8 labs on 2 cores, a 3.1 s sample over a 2 s stream)', () => {
    const empty = { tMs: 3100, startMs: -20, conntrack: [], ruleset: rs };
    const late = runs.map((r) => ({ ...r, startedAtMs: 150 }));
    expect(matchFlows(late, [empty]).map((f) => [f.samplesWhileRunning, f.matched])).toEqual([[0, false], [0, false], [0, false]]);
    // Found by such a sample (it read conntrack later than it was asked): still an observation.
    expect(matchFlows(late, [{ ...offloaded, startMs: -20 }]).map((f) => [f.samplesWhileRunning, f.state])).toEqual([[0, 'sw'], [0, 'sw'], [0, 'sw']]);
  });

  it('a sample asked while a stream ran and back after it ended looked for it (seen on 6.12: a 2.1 s full sample over a TCP stream\'s end)', () => {
    const slow = { ...offloaded, startMs: 4000, tMs: 6100 };
    expect(matchFlows(runs, [slow]).map((f) => [f.samplesWhileRunning, f.state])).toEqual([[1, 'sw'], [1, 'sw'], [1, 'sw']]);
    // Asked after the stream ended: nothing about it.
    expect(matchFlows(runs, [{ ...slow, startMs: 5050 }]).map((f) => [f.samplesWhileRunning, f.matched])).toEqual([[0, false], [0, false], [0, false]]);
  });

  // Captured on 6.12 (sqm-ingress-sw-offload, a download): the last sample while the data ran,
  // and one asked about 90 ms after iperf3's last report, before the client exited: the close
  // had torn the flow out of the flowtable and conntrack showed it ESTABLISHED (9 s left), no [OFFLOAD].
  it('a sample asked after the data stopped (iperf3\'s last report) but before the client exited sees the close, not the stream', () => {
    const stream = { local: { host: '192.168.1.2', port: 52706 }, remote: { host: '10.99.0.1', port: 5201 } };
    const client = { protocol: 'tcp' as const, streams: [stream], bytesSent: 1, bytesReceived: 1, bitsPerSecond: 1, intervals: [{ startS: 7, endS: 8.1, bitsPerSecond: 1 }] };
    const dl: TrafficRun = { ...runs[0]!, spec: { ...runs[0]!.spec, direction: 'download', duration: 8 }, client, server: client, startedAtMs: 295, endedAtMs: 8494 };
    const running = { tMs: 8482, startMs: 8130, conntrack: parseConntrack(fx('proc-nf_conntrack-download-offloaded-6.12.txt')), ruleset: rs };
    const torn = { tMs: 8522, startMs: 8485, conntrack: parseConntrack(fx('proc-nf_conntrack-download-end-6.12.txt')), ruleset: rs };
    expect(torn.conntrack.find((e) => e.orig.sport === 52706)).toMatchObject({ state: 'none', tcpState: 'ESTABLISHED' });
    expect(matchFlows([dl], [running, torn]).map((f) => [f.state, f.samplesWhileRunning, f.observations.length])).toEqual([['sw', 1, 1]]);
    // Asked before the last report, the same entry is the stream's state.
    expect(matchFlows([dl], [running, { ...torn, startMs: 8300 }])[0]!.state).toBe('none');
  });

  it('closing TCP entries do not count as the stream\'s state; slow-path entries are none', () => {
    const closing = { tMs: 4000, conntrack: parseConntrack(fx('proc-nf_conntrack-slowpath.txt')), ruleset: rs };
    const flows = matchFlows(runs, [offloaded, closing]);
    // the IPv4 TCP stream is CLOSE in the later sample: its state stays the running one
    expect(flows[0]!.state).toBe('sw');
    // UDP has no closing state: the later, slow-path sample is its last word
    expect(flows[2]!.state).toBe('none');
  });

  it('expectations fail with expected and actual', () => {
    const flows = matchFlows(runs, [offloaded]);
    const traffic = runs.map((r) => ({ proto: 'tcp', family: 'ipv4', direction: 'upload', streams: 1, bitsPerSecond: 1, bytes: r.client.bytesSent, error: null }));
    const offload = { requested: 'hw' as const, effective: 'sw' as const, fallback: true, warning: '[!] x', kernelError: null };
    const a = evaluate({ flows: { state: 'hw' }, offload: { effective: 'hw', fallback: false }, forwardCounter: { maxFraction: 0.01 } }, { offload, flows, traffic, forwardCounterPackets: 40 });
    const byName = Object.fromEntries(a.map((x) => [x.name, x]));
    expect(byName['offload.effective']).toMatchObject({ passed: false, expected: 'hw', actual: 'sw' });
    expect(byName['offload.fallback']!.passed).toBe(false);
    expect(byName['flows.state']!.passed).toBe(false);
    expect(byName['flows.state']!.actual).toMatch(/192\.168\.1\.2:\d+ -> 10\.99\.0\.1:5201: sw/);
    expect(byName['forwardCounter']!.passed).toBe(true);
    expect(byName['traffic[0] ran']!.passed).toBe(true);
  });

  it('conntrack accounting: the entries after the traffic against what iperf3 sent', () => {
    const flows = matchFlows(runs, [offloaded]);
    const after = parseConntrack(fx('proc-nf_conntrack-slowpath.txt'));
    const a = accounting(flows, runs, after, true, true);
    expect(a.iperf3Bytes).toBe(runs.reduce((s, r) => s + r.client.bytesSent, 0));
    // A stream gone from the later listing keeps its last counters seen during the run.
    expect(a.perFlow.map((f) => f.ctBytes)).toEqual(flows.map((f, i) => {
      const e = after.find((c) => c.proto === f.proto && c.orig.sport === f.orig.sport && c.orig.dst === f.orig.dst);
      return e ? (e.bytes.orig ?? 0) + (e.bytes.reply ?? 0) : flows[i]!.bytes;
    }));
    expect(a.fraction).toBe(Math.round((a.ctBytes / a.iperf3Bytes) * 1000) / 1000);
  });
});
