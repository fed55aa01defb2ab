import type { ScenarioReport } from './types.js';

/** Repeated values counted, in order of first appearance: ['sw', 'sw', 'hw'] -> "2 × sw, hw". */
export function foldRepeats(values: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].map(([v, n]) => (n > 1 ? `${n} × ${v}` : v)).join(', ');
}

/** A scenario's flows by their last state, for the run summaries: "64 × sw"; "-" without flows. */
export function flowStates(s: Pick<ScenarioReport, 'flows'>): string {
  return s.flows.length ? foldRepeats(s.flows.map((f) => (f.matched ? f.state : 'untracked'))) : '-';
}
