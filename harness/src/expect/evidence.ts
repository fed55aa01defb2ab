import type { CtEntry } from '../probes/conntrack.js';
import type { Snapshot } from '../probes/snapshot.js';
import type { Expect, OffloadMode, Traffic } from '../scenario/schema.js';
import type { LatencyStats } from '../traffic/ping.js';
import { CLOSING } from './flows.js';
import { latencyIncrease } from './sqm.js';

/**
 * Consecutive conntrack samples (asked once the stream had begun) that must show every data
 * stream of a traffic item in its expected state before the traffic may stop. A flow is
 * offloaded at its first established packet and the kernel shows it at once; three samples
 * (about a second) say it stays there.
 */
export const SAMPLES_IN_STATE = 3;

/**
 * Traffic time (ms since the stream began) the expectations judged over a window need: they
 * have no state to watch, only a rate or a sum that needs time to mean something.
 */
export const WINDOW_MS = {
  /** After the latency probe's warm-up: ~30 pings under load at 100 ms, and TCP at the shaper's rate for 3 s. */
  sqmAfterWarmup: 3000,
  /** Log lines per second, and lines after offload (the rate limit's burst is spent in the first second). */
  forwardLog: 2000,
  /**
   * Never decided early: conntrack learns a hardware flow's bytes only when the flowtable
   * refreshes its stats (every 3 s of the 30 s TCP timeout) and never after the stop, so the
   * fraction counted depends on how long the flow ran (measured: one of five 5 s adaptive
   * runs of ct-accounting-hw fell under its 0.5). It runs to its duration.
   */
  ctAccountingHw: Infinity,
} as const;

/**
 * Forward-chain packets a connection may still add once its traffic stops: its close (FIN
 * and RST leave the flowtable) and the ACKs of whatever was in flight then, which follow the
 * torn-down flow through the slow path. Measured per connection (a stream or iperf3's control
 * connection): 3-4 on an idle host, 11 at a natural end with the host loaded, 17 in one CI
 * run, where the early stop of logging-sw-offload at ~1,100 packets took the fraction from
 * under half its 0.03 to 0.036.
 */
export const CLOSE_SLOW_PATH_PACKETS = 24;

/**
 * `sqm: effective` ends the traffic early only with the latency under load so far this far
 * inside its bound (the share of maxLatencyIncreaseMs), over at least SQM_LATENCY_SAMPLES
 * probes: the verdict's median is the one of the probes up to the stop, and a few more come
 * in before it. Measured on a CPU-bound TCG OpenWrt guest shaping at 8 Mbit/s: a rise of
 * 7.6-15.4 ms over idle against a bound of 15, the median still moving after 4 s.
 */
export const SQM_LATENCY_SHARE = 0.8;
export const SQM_LATENCY_SAMPLES = 20;

/**
 * The default least time of a stream before it may stop early (traffic[].minDuration). Short
 * of the SAMPLES_IN_STATE samples a flow needs (~0.6-0.9 s at 300 ms), so that they, not a
 * clock, end a short stream.
 */
export const DEFAULT_MIN_DURATION_S = 0.5;

export interface TrafficSlot {
  spec: Traffic;
  /** The iperf3 server's port: the data streams' destination port in conntrack. */
  port: number;
  /** ms since the traffic phase began; unset until the client starts. */
  startedAtMs?: number;
}

export interface EvidenceOptions {
  /** The latency probe's warm-up (ms), when the scenario shapes with SQM. */
  latencyWarmupMs?: number;
  /** The forward-chain counter's packets in a full sample (null: not in it). */
  forwardCounter?: (s: Snapshot) => number | null;
  /** The latency probe's idle and under-load figures so far (scenarios with a probe). */
  latency?: () => { idle: LatencyStats; loaded: LatencyStats };
}

/**
 * The data streams of one traffic item in a sample: entries to the item's port (iperf3's
 * control connection goes there too, over TCP: it carries the fewest packets and is left out).
 */
export function dataEntries(snap: Snapshot, slot: TrafficSlot): CtEntry[] {
  const mine = snap.conntrack.filter((e) => e.proto === slot.spec.proto && e.orig.dport === slot.port && !(e.tcpState && CLOSING.has(e.tcpState)));
  if (slot.spec.proto !== 'tcp' || mine.length <= slot.spec.streams) return mine;
  const pk = (e: CtEntry) => (e.packets.orig ?? 0) + (e.packets.reply ?? 0);
  return mine.sort((a, b) => pk(b) - pk(a)).slice(0, slot.spec.streams);
}

const signed = (ms: number) => `${ms >= 0 ? '+' : ''}${ms.toFixed(1)}`;

/** Whether a forwardCounter expectation bounds the forward chain's share (not only its count). */
const hasFractionBound = (fc: Expect['forwardCounter']): fc is NonNullable<Expect['forwardCounter']> =>
  fc !== undefined && (fc.maxFraction !== undefined || fc.minFraction !== undefined);

const countStates = (es: CtEntry[]) => {
  const c: Record<OffloadMode, number> = { none: 0, sw: 0, hw: 0 };
  for (const e of es) c[e.state]++;
  return c;
};

/**
 * What each of a scenario's expectations needs before its traffic can stop, and whether the
 * samples so far hold it. Only evidence that the expectation holds ends the traffic early:
 * one not (yet) met keeps the traffic to its full duration, as before, so a failure is judged
 * on the same traffic as without this.
 */
export class Evidence {
  private readonly streak: number[];
  private readonly lastKey: (string | undefined)[];
  /** The forward-chain counter and the data streams' conntrack packets in the last full sample. */
  private forward: { fwd: number; ct: number } | null = null;
  /** The latency probe's figures as the last decision read them (sqm: effective). */
  private latency: { idle: LatencyStats; loaded: LatencyStats } | undefined;
  /** The engine's hit counter, read while the rest was decided (expect.engine.minHits). */
  engineHits: number | null = null;

  constructor(private readonly expect: Expect, private readonly slots: TrafficSlot[], private readonly opts: EvidenceOptions = {}) {
    this.streak = slots.map(() => 0);
    this.lastKey = slots.map(() => undefined);
  }

  /** One sample, as the sampler took it. */
  observe(snap: Snapshot): void {
    const f = this.expect.flows;
    // Each item's streams once per sample: the flows and the forward-chain fraction both read them.
    const entries = this.slots.map((slot) => dataEntries(snap, slot));
    this.slots.forEach((slot, i) => {
      if (slot.startedAtMs === undefined || (snap.startMs ?? snap.tMs) < slot.startedAtMs) return;
      const es = entries[i]!;
      const counts = countStates(es);
      const key = `${counts.none}/${counts.sw}/${counts.hw}`;
      let ok = true;
      if (f?.state !== undefined) {
        const untracked = f.state === 'none' && f.minMatched === 0 && es.length === 0;
        ok = untracked || (es.length >= slot.spec.streams && es.every((e) => e.state === f.state));
      } else if (f?.minPerState) {
        ok = es.length >= slot.spec.streams && Object.entries(f.minPerState).every(([st, n]) => n === undefined || counts[st as OffloadMode] >= n) && key === (this.lastKey[i] ?? key);
      }
      this.lastKey[i] = key;
      this.streak[i] = ok ? this.streak[i]! + 1 : 0;
    });
    const read = this.opts.forwardCounter;
    // Full samples only: a conntrack-only sample carries an older sample's ruleset.
    if (read && snap.fw4Table !== undefined) {
      const fwd = read(snap);
      const ct = entries.flat().reduce((a, e) => a + (e.packets.orig ?? 0) + (e.packets.reply ?? 0), 0);
      this.forward = fwd !== null && ct > 0 ? { fwd, ct } : null;
    }
  }

  /** Whether the engine's hits are what is left to decide: read them, and tell engineHits. */
  wantsEngineHits(nowMs: number): boolean {
    const min = this.expect.engine?.minHits;
    return min !== undefined && (this.engineHits ?? -1) < min && this.pending(nowMs, false).length === 0;
  }

  /** What is still undecided at nowMs (ms since the traffic phase began); [] when every expectation is. */
  pending(nowMs: number, withEngine = true): string[] {
    const e = this.expect;
    const out: string[] = [];
    const running = (i: number) => nowMs - (this.slots[i]?.startedAtMs ?? nowMs);
    const least = Math.min(...this.slots.map((_, i) => running(i)));
    if (e.flows) {
      this.slots.forEach((_, i) => {
        if (this.streak[i]! < SAMPLES_IN_STATE) out.push(`flows of traffic[${i}]: ${this.streak[i]} of ${SAMPLES_IN_STATE} samples ${e.flows!.state !== undefined ? `in ${e.flows!.state}` : 'with the expected states, unchanged'}`);
      });
    }
    if (e.sqm) {
      const need = (this.opts.latencyWarmupMs ?? 0) + WINDOW_MS.sqmAfterWarmup;
      if (least < need) out.push(`sqm: ${(least / 1000).toFixed(1)} of ${(need / 1000).toFixed(1)} s of shaped traffic`);
      else if (e.sqm.state === 'effective') {
        const why = this.latencyPending(e.sqm.maxLatencyIncreaseMs);
        if (why) out.push(why);
      }
    }
    if (e.forwardLog && least < WINDOW_MS.forwardLog) out.push(`forwardLog: ${(least / 1000).toFixed(1)} of ${WINDOW_MS.forwardLog / 1000} s`);
    if (e.ctAccounting && e.flows?.state === 'hw' && least < WINDOW_MS.ctAccountingHw) out.push('ctAccounting: hardware flows are counted by how long they ran: to the end of the duration');
    const fc = e.forwardCounter;
    if (hasFractionBound(fc)) {
      // The fraction moves only one way while the flows stay as they are (offloaded: the
      // forward chain stops counting; not: it counts every packet), until the connections
      // close: a ceiling holds at the end if it holds with every connection's close counted
      // in; a floor (near 1 without offload) is kept clear of by half its room.
      const f = this.forward;
      const conns = this.slots.reduce((a, s) => a + s.spec.streams + 1, 0);
      const maxOk = fc.maxFraction === undefined || (f !== null && (f.fwd + conns * CLOSE_SLOW_PATH_PACKETS) / f.ct <= fc.maxFraction);
      const minOk = fc.minFraction === undefined || (f !== null && f.fwd / f.ct >= fc.minFraction + (1 - fc.minFraction) / 2);
      if (!maxOk || !minOk) out.push(`forwardCounter: fraction ${f === null ? 'not read yet' : `${f.fwd} / ${f.ct}`}, not yet clear of its bound${fc.maxFraction !== undefined ? ` with ${conns} connections' close counted in` : ''}`);
    }
    const min = e.engine?.minHits;
    if (withEngine && min !== undefined && (this.engineHits ?? -1) < min) out.push(`engine: ${this.engineHits ?? 'not read'} of ${min} hits`);
    return out;
  }

  /** Why the latency under load so far does not yet say `sqm: effective` holds; undefined when it does. */
  private latencyPending(maxIncreaseMs: number): string | undefined {
    const l = (this.latency = this.opts.latency?.());
    if (!l) return 'sqm: no latency probe to judge by';
    const within = maxIncreaseMs * SQM_LATENCY_SHARE;
    if (l.loaded.samples < SQM_LATENCY_SAMPLES) return `sqm: ${l.loaded.samples} of ${SQM_LATENCY_SAMPLES} latency probes under load`;
    const rise = latencyIncrease(l);
    if (rise === null || rise > within) return `sqm: latency under load ${rise === null ? 'not measured' : `${signed(rise)} ms`} over idle, not yet within ${within.toFixed(1)} ms`;
    return undefined;
  }

  /** What decided the traffic, for the report: the evidence each expectation had. */
  describe(): string {
    const e = this.expect;
    const parts: string[] = [];
    if (e.flows) parts.push(`flows ${e.flows.state !== undefined ? `in ${e.flows.state}` : 'in the expected states'} in ${SAMPLES_IN_STATE} consecutive samples`);
    if (e.sqm) {
      const rise = latencyIncrease(this.latency);
      parts.push(rise !== null ? `sqm window, latency under load ${signed(rise)} ms over idle (${this.latency!.loaded.samples} probes)` : 'sqm window');
    }
    if (e.forwardLog) parts.push('forward-log window');
    if (this.forward !== null && hasFractionBound(e.forwardCounter)) parts.push(`forward-chain ${this.forward.fwd} / ${this.forward.ct} packets`);
    if (this.engineHits !== null) parts.push(`engine hits ${this.engineHits}`);
    return parts.length ? parts.join(', ') : 'nothing to wait for';
  }
}
