import { describe, expect, it } from 'vitest';
import { sqmAssertion, sqmDirections } from '../../src/expect/sqm.js';
import type { QdiscStats } from '../../src/probes/qdisc.js';
import { expectSchema } from '../../src/scenario/schema.js';
import type { LatencyReport } from '../../src/traffic/ping.js';

const want = (state: 'effective' | 'bypassed') => expectSchema.parse({ sqm: { state } }).sqm!;
const config = { qdisc: 'cake' as const, egress: '20M', ingress: '20M' };
const devices = { egress: 'eth1', ingress: 'ifb4eth1' };
const lat = (idle: number, loaded: number): LatencyReport => ({
  idle: { samples: 20, lost: 0, medianMs: idle, p95Ms: idle },
  loaded: { samples: 65, lost: 0, medianMs: loaded, p95Ms: loaded * 1.3 },
  series: [],
});
const shaper = (dev: string, bytes: number): QdiscStats => ({ dev, kind: 'cake', bytes, packets: 1, drops: 0, marks: 0, overlimits: 0 });

// Figures from runs of the shipped scenarios (sqm-no-offload, sqm-hw-offload) and of
// sqm-no-offload with its rates set ten times too high (200M).
function run(up: number, down: number, seenUp: number, seenDown: number) {
  const traffic = [
    { direction: 'upload', bitsPerSecond: up * 1e6, bytes: up * 1e6 },
    { direction: 'download', bitsPerSecond: down * 1e6, bytes: down * 1e6 },
  ];
  return sqmDirections(config, devices, traffic, new Map([['eth1', shaper('eth1', seenUp * up * 1e6)], ['ifb4eth1', shaper('ifb4eth1', seenDown * down * 1e6)]]));
}

describe('sqm assertion', () => {
  it('effective: both directions under their rate and latency near idle', () => {
    const a = sqmAssertion(want('effective'), { config, directions: run(16.0, 15.7, 1.05, 1.07) }, lat(0.9, 2.2));
    expect(a.passed).toBe(true);
    expect(a.actual).toContain('upload 16.0 Mbit/s at rate 20.0 Mbit/s');
    expect(a.actual).toContain('under load median 2.2 ms');
  });

  it('a shaper configured ten times too fast is not effective: the modem queues', () => {
    const broken = { ...config, egress: '200M', ingress: '200M' };
    const dirs = sqmDirections(broken, devices, [{ direction: 'upload', bitsPerSecond: 37.4e6, bytes: 37e6 }, { direction: 'download', bitsPerSecond: 19.5e6, bytes: 19e6 }], new Map());
    const a = sqmAssertion(want('effective'), { config: broken, directions: dirs }, lat(0.9, 81.1));
    expect(a.passed).toBe(false);
    expect(a.actual).toContain('under load median 81.1 ms');
  });

  it('effective fails on throughput alone too', () => {
    expect(sqmAssertion(want('effective'), { config, directions: run(30, 15, 1, 1) }, lat(1, 2)).passed).toBe(false);
  });

  it('bypassed: well above the rate while the shapers saw next to nothing', () => {
    expect(sqmAssertion(want('bypassed'), { config, directions: run(33.3, 37.3, 0.0003, 0.0004) }, lat(1.2, 83.1)).passed).toBe(true);
    // Fast, but the shaper counted the bytes: not bypassed.
    expect(sqmAssertion(want('bypassed'), { config, directions: run(33.3, 37.3, 1.0, 0.0004) }, lat(1.2, 83.1)).passed).toBe(false);
    // Unshaped, the upload's queue starves the download's ACKs: one fast direction is enough (seen in CI: 37.7 / 11.4).
    expect(sqmAssertion(want('bypassed'), { config, directions: run(37.7, 11.4, 0.0003, 0.003) }, lat(1.0, 82.9)).passed).toBe(true);
    // Neither direction above the rate: the shapers were idle, but nothing shows a bypass.
    expect(sqmAssertion(want('bypassed'), { config, directions: run(21, 19, 0.0003, 0.0004) }, lat(1.0, 2)).passed).toBe(false);
  });

  it('a shaped direction without traffic cannot be judged', () => {
    const dirs = sqmDirections(config, devices, [{ direction: 'upload', bitsPerSecond: 16e6, bytes: 16e6 }], new Map());
    const a = sqmAssertion(want('effective'), { config, directions: dirs }, lat(1, 2));
    expect(a).toMatchObject({ passed: false, actual: expect.stringContaining('no download traffic to judge') });
  });

  it('no SQM applied is a failure that says so', () => {
    expect(sqmAssertion(want('effective'), undefined, null)).toMatchObject({ passed: false, actual: 'no SQM was applied' });
  });
});
