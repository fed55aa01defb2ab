import { hostAddr } from '../lab/addressing.js';
import type { HostProcess, LabHosts } from '../lab/hosts.js';
import { parsePing, percentile, type PingSample } from './ping-parse.js';

export interface LatencyStats {
  samples: number;
  lost: number;
  medianMs: number | null;
  p95Ms: number | null;
}

export interface LatencyReport {
  idle: LatencyStats;
  loaded: LatencyStats;
  /** Every probe, ms after the traffic began (negative: idle); null rtt is a loss. */
  series: { tMs: number; rttMs: number | null }[];
}

function stats(s: PingSample[]): LatencyStats {
  const rtts = s.flatMap((x) => (x.rttMs === null ? [] : [x.rttMs]));
  const r = (v: number | null) => (v === null ? null : Math.round(v * 100) / 100);
  return { samples: s.length, lost: s.length - rtts.length, medianMs: r(percentile(rtts, 50)), p95Ms: r(percentile(rtts, 95)) };
}

/**
 * ICMP echo from the LAN host to the WAN host, through the DUT: ICMP is never offloaded, so
 * it waits in whatever queue the bulk traffic builds (the shaper's or the modem's), as
 * flent's RRUL latency probe does. iputils ping is run directly (no shell between) so a signal reaches it.
 */
export class LatencyProbe {
  private proc: HostProcess | undefined;
  private readonly startedEpochMs = Date.now();
  /** ping's output so far: read while the traffic runs (adaptive traffic's SQM evidence). */
  private text = '';

  constructor(private readonly hosts: LabHosts, private readonly intervalMs: number) {}

  start(): void {
    // -O: a line for every request left unanswered, so losses are counted, not skipped.
    this.proc = this.hosts.spawn('lan', ['ping', '-n', '-D', '-O', '-W', '1', '-i', String(this.intervalMs / 1000), hostAddr('wan', 'ipv4')]);
    this.proc.stdout.on('data', (chunk: Buffer | string) => (this.text += String(chunk)));
  }

  /** Every exit path: never leaves a ping behind (idempotent). */
  async kill(): Promise<void> {
    this.proc?.kill('SIGKILL');
    await this.proc?.done;
  }

  /** Idle and under-load figures from the replies so far, over the same windows as stop()'s. */
  sofar(trafficStartEpochMs: number, warmupMs: number): { idle: LatencyStats; loaded: LatencyStats } {
    const { idle, loaded } = this.windows(parsePing(this.text), trafficStartEpochMs, Date.now(), warmupMs);
    return { idle: stats(idle), loaded: stats(loaded) };
  }

  /** trafficStartEpochMs: Date.now() when the traffic began; samples before it are idle. */
  async stop(trafficStartEpochMs: number, trafficEndEpochMs: number, warmupMs: number): Promise<LatencyReport> {
    if (!this.proc) throw new Error('latency probe was never started');
    this.proc.kill('SIGINT');
    const killer = setTimeout(() => this.proc?.kill('SIGKILL'), 2000);
    const r = await this.proc.done;
    clearTimeout(killer);
    const all = parsePing(r.stdout);
    if (!all.length) throw new Error(`latency probe: ping gave no samples (exit ${r.exitCode}): ${r.stderr.trim().slice(0, 200)}`);
    const { idle, loaded } = this.windows(all, trafficStartEpochMs, trafficEndEpochMs, warmupMs);
    return {
      idle: stats(idle),
      loaded: stats(loaded),
      series: all.map((s) => ({ tMs: Math.round(sentAt(s) - trafficStartEpochMs), rttMs: s.rttMs })),
    };
  }

  private windows(all: PingSample[], trafficStartEpochMs: number, trafficEndEpochMs: number, warmupMs: number) {
    return {
      idle: all.filter((s) => sentAt(s) >= this.startedEpochMs && sentAt(s) < trafficStartEpochMs),
      loaded: all.filter((s) => sentAt(s) >= trafficStartEpochMs + warmupMs && sentAt(s) < trafficEndEpochMs),
    };
  }
}

/** A request's send time: its reply's arrival minus its round trip (a loss: when ping gave up). */
const sentAt = (s: PingSample) => s.atMs - (s.rttMs ?? 1000);
