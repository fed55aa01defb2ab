import type { Platform } from '../platforms/types.js';
import type { Shell } from '../targets/types.js';
import { parseConntrack, type CtEntry } from './conntrack.js';
import { summarizeKernel, type RulesetSummary } from './fw4-ruleset.js';
import { parseFlowtableFlags, parseNftJson, withFlowtableFlags, type Ruleset } from './nft.js';
import { parseQdiscs, type QdiscStats } from './qdisc.js';
import { periodic } from '../util/periodic.js';

export interface Snapshot {
  /** Milliseconds since the scenario's traffic phase began, when the sample was back. */
  tMs: number;
  /** When the sample was asked for: under load a sample can take longer than a short stream runs. */
  startMs?: number;
  conntrack: CtEntry[];
  ruleset: Ruleset;
  /** Root qdiscs' counters, on full samples of a run with SQM. */
  qdiscs?: QdiscStats[];
  /** table inet fw4 as the kernel holds it, summarized (full snapshots only; null: no such table). */
  fw4Table?: RulesetSummary | null;
}

const SEP = '--hil-snapshot-separator--';

/**
 * "3 entries, 2 [OFFLOAD], 1 [HW_OFFLOAD]": a sample in one line of the transcript. Counted
 * from the text (an entry a line, its offload flag in it): the sample itself is parsed once, by
 * its caller, and this runs on every sample during traffic.
 */
export function conntrackSummary(stdout: string): string {
  const lines = stdout.split('\n').filter((l) => l.trim());
  const sw = lines.filter((l) => l.includes(' [OFFLOAD]')).length;
  const hw = lines.filter((l) => l.includes(' [HW_OFFLOAD]')).length;
  return [`${lines.length} ${lines.length === 1 ? 'entry' : 'entries'}`, ...(sw ? [`${sw} [OFFLOAD]`] : []), ...(hw ? [`${hw} [HW_OFFLOAD]`] : [])].join(', ');
}

/** Conntrack alone, with the ruleset of an earlier snapshot: one `cat`, where nft costs a process and JSON. */
async function takeConntrack(shell: Shell, t0: number, ruleset: Ruleset, n: number): Promise<Snapshot> {
  const startMs = performance.now() - t0;
  const r = await shell.run('cat /proc/net/nf_conntrack', { fold: (x) => `conntrack sample ${n}: ${conntrackSummary(x.stdout)}` });
  const tMs = performance.now() - t0;
  if (r.exitCode !== 0) throw new Error(`snapshot failed (exit ${r.exitCode}): ${r.stderr.trim() || r.stdout.trim()}`);
  return { tMs, startMs, conntrack: parseConntrack(r.stdout), ruleset };
}

/**
 * One console round trip for both: samples during traffic must stay cheap. The transcript
 * shows each command apart with its own output, or, for a sample (n), one folded line.
 */
export async function takeSnapshot(shell: Shell, platform: Platform, t0: number, qdiscs = false, conntrack = true, n?: number): Promise<Snapshot> {
  const tc = qdiscs ? ` && echo ${SEP} && ${platform.bin.tc} -s -j qdisc show` : '';
  const ctCmd = conntrack ? 'cat /proc/net/nf_conntrack' : 'true';
  const show = n === undefined
    ? { parts: SEP }
    : { parts: SEP, fold: (x: { stdout: string }) => `full sample ${n}: ${conntrack ? `${conntrackSummary(x.stdout.split(`${SEP}\n`)[0] ?? '')}; ` : ''}the ruleset, flowtables${qdiscs ? ', qdiscs' : ''}` };
  const startMs = performance.now() - t0;
  const r = await shell.run(`${ctCmd} && echo ${SEP} && ${platform.bin.nft} -j list ruleset && echo ${SEP} && ${platform.bin.nft} list flowtables${tc}`, show);
  const tMs = performance.now() - t0;
  if (r.exitCode !== 0) throw new Error(`snapshot failed (exit ${r.exitCode}): ${r.stderr.trim() || r.stdout.trim()}`);
  const [ct = '', nft = '', fts = '', q] = r.stdout.split(`${SEP}\n`);
  return {
    tMs, startMs, conntrack: parseConntrack(ct), ruleset: withFlowtableFlags(parseNftJson(nft), parseFlowtableFlags(fts)), fw4Table: summarizeKernel(nft, fts),
    ...(q !== undefined && { qdiscs: parseQdiscs(q) }),
  };
}

export interface SamplerOptions {
  shell: Shell;
  platform: Platform;
  /** What sample times count from (performance.now()). */
  t0: number;
  intervalMs: number;
  /** Read the shapers' counters on full samples too (SQM runs: drops on the timeline). */
  qdiscs?: boolean;
  /**
   * The ruleset's counters matter while the traffic runs (the forward-chain counter, judged
   * during the traffic and plotted): every FULL_EVERY-th sample reads the ruleset. Without
   * them or qdiscs, samples after the first ruleset read conntrack alone: nothing changes the
   * ruleset during the traffic, and a full sample (two nft processes, ~0.6 s in a TCG guest
   * under load, against ~0.05 s for conntrack) was often one of the three samples that decide
   * a short stream.
   */
  counters?: boolean;
  /** Told each sample as it comes back, before the next is asked (adaptive traffic decides there). */
  onSample?: (s: Snapshot) => Promise<void>;
  /**
   * The ruleset as last read: full samples then come FULL_EVERY samples after it. Absent, or
   * with qdiscs (the shapers' counters at the start), the first sample is a full one.
   */
  startRuleset?: Ruleset;
}

/**
 * Samples until stopped; one sample at a time, `intervalMs` apart at most. With counters or
 * qdiscs to read, every FULL_EVERY-th sample reads the ruleset too (counters for the
 * timeline); the others read conntrack only, so the guest's single CPU is left to the traffic
 * and samples stay dense. Counted from the ruleset the sampler starts from: the configure
 * step's own reading, when nothing the run does changes the ruleset between them.
 */
const FULL_EVERY = 3;

export class Sampler {
  readonly samples: Snapshot[] = [];
  readonly errors: string[] = [];
  private readonly durations: number[] = [];
  private readonly startRuleset: Ruleset | undefined;
  private loop: { stop(): Promise<void> } | undefined;
  private giveUp!: () => void;
  /** Resolves if sampling gave up (the DUT stopped answering): the traffic is pointless then. */
  readonly gaveUp = new Promise<void>((r) => (this.giveUp = r));

  constructor(private readonly o: SamplerOptions) {
    this.startRuleset = o.qdiscs ? undefined : o.startRuleset;
  }

  /**
   * The first sample is taken before the streams begin. Without a ruleset to start from it
   * is a full one: taken beside the streams, on a loaded host it outlasted a 2 s stream, and
   * the stream ran with no sample asked while it ran.
   */
  async start(): Promise<void> {
    const began = performance.now();
    await this.tick();
    this.loop = periodic(this.o.intervalMs, () => this.tick(), this.o.intervalMs - (performance.now() - began));
  }

  private async tick(): Promise<boolean | void> {
    const began = performance.now();
    try {
      const ruleset = this.samples[this.samples.length - 1]?.ruleset ?? this.startRuleset;
      const n = this.samples.length + 1;
      const sinceFull = this.samples.length + (this.startRuleset ? 1 : 0);
      const snap = ruleset && (!(this.o.counters || this.o.qdiscs) || sinceFull % FULL_EVERY !== 0)
        ? await takeConntrack(this.o.shell, this.o.t0, ruleset, n)
        : await takeSnapshot(this.o.shell, this.o.platform, this.o.t0, Boolean(this.o.qdiscs), true, n);
      this.samples.push(snap);
      this.durations.push(performance.now() - began);
      await this.o.onSample?.(snap);
      return;
    } catch (e) {
      this.errors.push((e as Error).message);
      if (this.errors.length > 3) {
        this.giveUp();
        return false;
      }
    }
    this.durations.push(performance.now() - began);
  }

  /** How long samples took: under load, a sample can outlast a short stream. */
  stats(): { samples: number; medianMs: number; maxMs: number } {
    const d = this.durations.slice().sort((a, b) => a - b);
    return { samples: d.length, medianMs: Math.round(d[Math.floor(d.length / 2)] ?? 0), maxMs: Math.round(d[d.length - 1] ?? 0) };
  }

  async stop(): Promise<void> {
    await this.loop?.stop();
  }
}
