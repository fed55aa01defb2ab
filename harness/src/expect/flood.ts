import type { FloodCounts } from '../probes/flood.js';
import type { Assertion } from './assertion.js';
import type { Expect, Flood } from '../scenario/schema.js';
import type { FloodResult } from '../traffic/udp-flood.js';

export interface FloodRound {
  round: number;
  result: FloodResult;
  /** The most flood flows in conntrack / offloaded at once during the round (its gap included). */
  peakTracked: number;
  peakOffloaded: number;
  /** From the round's start until half / nine tenths of its flows were offloaded at once; null: never. */
  halfOffloadedMs: number | null;
  mostOffloadedMs: number | null;
  /** Flood entries still in conntrack when the round's gap ended (the next round's start). */
  leftAfterGap: number | null;
  /** nf_conntrack_count then, and the table's size. */
  conntrackAfterGap: number | null;
  conntrackMax: number;
}

export interface FloodReport {
  config: Flood;
  rounds: FloodRound[];
  /** Every count sample, ms after the flood began. */
  timeline: FloodCounts[];
}

/** A round's figures from its samples (tMs relative to the flood's start). */
export function summarizeRound(round: number, result: FloodResult, startMs: number, samples: FloodCounts[], flows: number, gapEnd: FloodCounts | undefined): FloodRound {
  const when = (n: number) => samples.find((s) => s.offloaded >= n);
  const half = when(Math.ceil(flows / 2));
  const most = when(Math.ceil(flows * 0.9));
  return {
    round, result,
    peakTracked: Math.max(0, ...samples.map((s) => s.tracked)),
    peakOffloaded: Math.max(0, ...samples.map((s) => s.offloaded)),
    halfOffloadedMs: half ? Math.round(half.tMs - startMs) : null,
    mostOffloadedMs: most ? Math.round(most.tMs - startMs) : null,
    leftAfterGap: gapEnd?.tracked ?? null,
    conntrackAfterGap: gapEnd?.conntrack ?? null,
    conntrackMax: samples[0]?.conntrackMax ?? gapEnd?.conntrackMax ?? 0,
  };
}

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

export function floodAssertions(want: NonNullable<Expect['flood']>, r: FloodReport | undefined): Assertion[] {
  if (!r) return [{ name: 'flood', passed: false, expected: 'a flood report', actual: 'the flood did not run' }];
  const out: Assertion[] = [];
  const per = (f: (x: FloodRound) => string) => r.rounds.map((x) => `round ${x.round}: ${f(x)}`).join('; ');
  if (want.minOffloadedFraction !== undefined) {
    const ok = r.rounds.every((x) => x.peakOffloaded / x.result.flows >= want.minOffloadedFraction!);
    out.push({
      name: 'flood.minOffloadedFraction', passed: ok,
      expected: `in every round at least ${pct(want.minOffloadedFraction)} of the flows offloaded at once`,
      actual: per((x) => `${x.peakOffloaded} of ${x.result.flows} (${pct(x.peakOffloaded / x.result.flows)}), conntrack max ${x.conntrackMax}`),
    });
  }
  if (want.minOffloadedOfTracked !== undefined) {
    const ok = r.rounds.every((x) => x.peakTracked > 0 && x.peakOffloaded / x.peakTracked >= want.minOffloadedOfTracked!);
    out.push({
      name: 'flood.minOffloadedOfTracked', passed: ok,
      expected: `in every round at least ${pct(want.minOffloadedOfTracked)} of the flows conntrack held were offloaded`,
      actual: per((x) => `${x.peakOffloaded} of ${x.peakTracked} tracked`),
    });
  }
  if (want.conntrackFull !== undefined) {
    const full = r.timeline.some((t) => t.conntrackMax > 0 && t.conntrack >= t.conntrackMax);
    const unanswered = r.rounds.some((x) => x.result.flowsAnswered < x.result.flows);
    out.push({
      name: 'flood.conntrackFull', passed: want.conntrackFull === (full && unanswered),
      expected: want.conntrackFull ? 'conntrack fills up (nf_conntrack_count reaches nf_conntrack_max) and flows go unanswered' : 'conntrack never full',
      actual: `peak nf_conntrack_count ${Math.max(0, ...r.timeline.map((t) => t.conntrack))} of max ${r.timeline[0]?.conntrackMax ?? '?'}; ${per((x) => `${x.result.flowsAnswered} of ${x.result.flows} answered`)}`,
    });
  }
  if (want.conntrackReachedMax !== undefined) {
    const peak = Math.max(0, ...r.timeline.map((t) => t.conntrack));
    const reached = r.timeline.some((t) => t.conntrackMax > 0 && t.conntrack >= t.conntrackMax);
    out.push({
      name: 'flood.conntrackReachedMax', passed: want.conntrackReachedMax === reached,
      expected: want.conntrackReachedMax ? 'nf_conntrack_count reaches nf_conntrack_max' : 'nf_conntrack_count stays below nf_conntrack_max',
      actual: `peak nf_conntrack_count ${peak} of max ${r.timeline[0]?.conntrackMax ?? '?'}`,
    });
  }
  if (want.minAnsweredFraction !== undefined) {
    const ok = r.rounds.every((x) => x.result.flowsAnswered / x.result.flows >= want.minAnsweredFraction!);
    out.push({
      name: 'flood.minAnsweredFraction', passed: ok,
      expected: `in every round at least ${pct(want.minAnsweredFraction)} of the flows answered`,
      actual: per((x) => `${x.result.flowsAnswered} of ${x.result.flows}`),
    });
  }
  if (want.maxLeftAfterGap !== undefined) {
    const first = r.rounds[0]?.peakOffloaded ?? 0;
    const left = r.rounds.filter((x) => x.leftAfterGap === null || x.leftAfterGap > want.maxLeftAfterGap!);
    const weak = r.rounds.filter((x) => x.peakOffloaded < 0.9 * first);
    out.push({
      name: 'flood.maxLeftAfterGap', passed: left.length === 0 && weak.length === 0,
      expected: `after every round's gap at most ${want.maxLeftAfterGap} of its flows left in conntrack, and no round offloading under 0.9 of the first round's ${first}`,
      actual: per((x) => `${x.peakOffloaded} offloaded, ${x.leftAfterGap ?? 'not read'} left, conntrack ${x.conntrackAfterGap ?? '?'}`),
    });
  }
  return out;
}
