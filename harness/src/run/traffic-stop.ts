import { DEFAULT_MIN_DURATION_S, Evidence, type EvidenceOptions, type TrafficSlot } from '../expect/evidence.js';
import { parseEngineStats } from '../probes/engine.js';
import type { Snapshot } from '../probes/snapshot.js';
import type { Expect, Traffic } from '../scenario/schema.js';
import type { Shell } from '../targets/types.js';
import type { StreamControl, TrafficRun } from '../traffic/iperf3.js';

/** ms before a stream's own end within which it is not interrupted. */
const NEAR_END_MS = 300;

/** The least a stream runs before it may stop early (seconds). */
export const minDurationS = (t: Traffic): number => t.minDuration ?? Math.min(DEFAULT_MIN_DURATION_S, t.duration);

export interface TrafficStopOptions {
  /** `--fixed-duration`: every stream runs its full duration (the behaviour before adaptive traffic). */
  fixed: boolean;
  shell: Shell;
  /** The engine's port, whose `ethtool -S` counts hits (expect.engine.minHits). */
  enginePort?: string;
  ethtool: string;
  latencyWarmupMs?: number;
  forwardCounter?: (s: Snapshot) => number | null;
  latency?: EvidenceOptions['latency'];
}

/** The harness's stop of the traffic, for the report. */
export interface TrafficStopReport {
  atMs: number;
  why: string;
}

/**
 * Adaptive traffic: the streams stop together as soon as every expectation of the scenario
 * is decided (expect/evidence.ts), never before each stream's minDuration; iperf3's own
 * duration is the upper bound.
 */
export class TrafficStop {
  readonly slots: TrafficSlot[];
  readonly controls: StreamControl[];
  private readonly evidence: Evidence;
  private readonly ac = new AbortController();
  private engineReads = 0;
  /** What was undecided at the last sample, and when (ms): said for streams that ran their full duration. */
  private lastPending: string[] = ['no sample was taken while the streams ran'];
  private lastSampleMs: number | undefined;
  /** Set when the harness stopped the traffic early. */
  stopped: TrafficStopReport | undefined;

  constructor(expect: Expect, traffic: Traffic[], ports: number[], private readonly t0: number, private readonly o: TrafficStopOptions) {
    this.slots = traffic.map((spec, i) => ({ spec, port: ports[i]! }));
    this.evidence = new Evidence(expect, this.slots, { latencyWarmupMs: o.latencyWarmupMs, forwardCounter: o.forwardCounter, latency: o.latency });
    this.controls = this.slots.map((slot) => ({
      ...(!o.fixed && { stop: this.ac.signal }),
      onStart: (ms: number) => (slot.startedAtMs = ms),
    }));
  }

  /** The sampler's hook: never throws (a failed engine read only leaves the hits undecided). */
  readonly onSample = async (snap: Snapshot): Promise<void> => {
    // A flood alone has no streams to stop: its rounds run as given.
    if (this.o.fixed || this.ac.signal.aborted || this.slots.length === 0) return;
    this.evidence.observe(snap);
    const now = performance.now() - this.t0;
    const young = this.slots.some((s) => s.startedAtMs === undefined || now - s.startedAtMs < minDurationS(s.spec) * 1000);
    if (young) {
      this.lastPending = [`minDuration not reached`];
      this.lastSampleMs = now;
      return;
    }
    if (this.o.enginePort && this.evidence.wantsEngineHits(now)) {
      const n = ++this.engineReads;
      const r = await this.o.shell.run(`${this.o.ethtool} -S ${this.o.enginePort}`, { fold: (x) => `engine hits check ${n}: ${parseEngineStats(x.stdout)?.hits ?? '?'} hits` }).catch(() => null);
      const hits = r && parseEngineStats(r.stdout)?.hits;
      if (typeof hits === 'number') this.evidence.engineHits = hits;
    }
    const at = performance.now() - this.t0;
    this.lastPending = this.evidence.pending(at);
    this.lastSampleMs = at;
    if (this.lastPending.length) return;
    // Streams about to end on their own are let be: an interrupt then only cuts their results short.
    if (this.slots.every((s) => at > s.startedAtMs! + s.spec.duration * 1000 - NEAR_END_MS)) return;
    const why = `expectations decided at ${(at / 1000).toFixed(1)} s: ${this.evidence.describe()}`;
    this.stopped = { atMs: Math.round(at), why };
    this.ac.abort(why);
  };

  /** Streams that ran their full duration say what was still undecided when they ended. */
  explain(runs: TrafficRun[]): void {
    for (const r of runs) {
      if (r.end.by !== 'duration') continue;
      if (this.o.fixed) {
        r.end.why = `ran its fixed duration (${r.spec.duration} s, --fixed-duration)`;
        continue;
      }
      // When: on a loaded host the last sample can be seconds before the end.
      const at = this.lastSampleMs === undefined ? '' : ` at the last sample (${(this.lastSampleMs / 1000).toFixed(1)} s)`;
      if (this.lastPending.length) r.end.why += `; undecided${at}: ${this.lastPending.join('; ')}`;
    }
  }
}
