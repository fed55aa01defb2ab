import type { QdiscStats } from '../probes/qdisc.js';
import type { Assertion } from './assertion.js';
import { rateBits, type Expect, type Sqm } from '../scenario/schema.js';
import type { LatencyReport } from '../traffic/ping.js';

/** What the shaper did to one direction of the traffic. */
export interface SqmDirection {
  direction: 'upload' | 'download';
  device: string;
  rateBitsPerSecond: number;
  /** All traffic entries of this direction together, as iperf3 measured them. */
  throughputBitsPerSecond: number;
  trafficBytes: number;
  /** The shaper's counters over the traffic phase. */
  shaper: QdiscStats | null;
}

export interface SqmReport {
  config: Sqm;
  directions: SqmDirection[];
}

type Want = NonNullable<Expect['sqm']>;
const mbit = (b: number) => `${(b / 1e6).toFixed(1)} Mbit/s`;
const ms = (v: number | null) => (v === null ? 'n/a' : `${v.toFixed(1)} ms`);

/** Median latency under load over idle (ms); null without both medians. */
export function latencyIncrease(l: Pick<LatencyReport, 'idle' | 'loaded'> | null | undefined): number | null {
  return l && l.idle.medianMs !== null && l.loaded.medianMs !== null ? l.loaded.medianMs - l.idle.medianMs : null;
}

/**
 * `sqm: effective`: every shaped direction within its rate plus the tolerance, and latency
 * under load within the bound over idle. `sqm: bypassed`: no shaper saw a tenth of its
 * direction's bytes, and the fastest shaped direction went well above its rate. Not every
 * direction: unshaped, a saturated upload queue delays the download's ACKs by its whole
 * buffer, and the download can fall below the rate (measured: 37.7 up, 11.4 down at 20M).
 * The actual text carries the numbers.
 */
export function sqmAssertion(want: Want, sqm: SqmReport | undefined, latency: LatencyReport | null): Assertion {
  const expected =
    want.state === 'effective'
      ? `sqm effective: each shaped direction <= rate x ${(1 + want.rateTolerance).toFixed(2)}, median latency under load <= idle + ${want.maxLatencyIncreaseMs} ms`
      : `sqm bypassed: every shaper seeing < 10% of its direction's bytes, the fastest direction >= rate x ${want.bypassFactor}`;
  if (!sqm) return { name: 'sqm', passed: false, expected, actual: 'no SQM was applied' };
  const rise = latencyIncrease(latency);
  const parts: string[] = [];
  let ok = true;
  let fastest = 0;
  for (const d of sqm.directions) {
    const seen = d.shaper && d.trafficBytes > 0 ? d.shaper.bytes / d.trafficBytes : null;
    const shaperText = d.shaper ? `${d.device} ${d.shaper.kind} saw ${d.shaper.bytes} B (${seen === null ? 'n/a' : `${(seen * 100).toFixed(1)}%`}), ${d.shaper.drops} drops, ${d.shaper.marks} marks` : `no shaper on ${d.device}`;
    parts.push(`${d.direction} ${mbit(d.throughputBitsPerSecond)} at rate ${mbit(d.rateBitsPerSecond)}; ${shaperText}`);
    if (d.trafficBytes === 0) {
      ok = false;
      parts.push(`no ${d.direction} traffic to judge`);
    } else if (want.state === 'effective') {
      ok &&= d.throughputBitsPerSecond <= d.rateBitsPerSecond * (1 + want.rateTolerance);
    } else {
      ok &&= seen !== null && seen < 0.1;
      fastest = Math.max(fastest, d.throughputBitsPerSecond / d.rateBitsPerSecond);
    }
  }
  if (want.state === 'bypassed') ok &&= fastest >= want.bypassFactor;
  if (latency) parts.push(`latency idle ${ms(latency.idle.medianMs)}, under load median ${ms(latency.loaded.medianMs)} p95 ${ms(latency.loaded.p95Ms)} (${latency.loaded.lost}/${latency.loaded.samples} lost)`);
  if (want.state === 'effective') ok &&= rise !== null && rise <= want.maxLatencyIncreaseMs;
  return { name: 'sqm', passed: ok, expected, actual: parts.join('; ') };
}

/** Per shaped direction: the traffic that went that way and the shaper's counter deltas. */
export function sqmDirections(config: Sqm, devices: { egress: string | null; ingress: string | null }, traffic: { direction: string; bitsPerSecond: number; bytes: number }[], shapers: Map<string, QdiscStats>): SqmDirection[] {
  const out: SqmDirection[] = [];
  const add = (direction: 'upload' | 'download', device: string | null, rate: string | undefined) => {
    if (!device || !rate) return;
    const mine = traffic.filter((t) => t.direction === direction);
    out.push({
      direction, device, rateBitsPerSecond: rateBits(rate),
      throughputBitsPerSecond: mine.reduce((a, t) => a + t.bitsPerSecond, 0),
      trafficBytes: mine.reduce((a, t) => a + t.bytes, 0),
      shaper: shapers.get(device) ?? null,
    });
  };
  add('upload', devices.egress, config.egress);
  add('download', devices.ingress, config.ingress);
  return out;
}
