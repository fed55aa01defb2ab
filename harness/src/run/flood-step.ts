import { floodAssertions, summarizeRound, type FloodReport } from '../expect/flood.js';
import { readFloodCounts, type FloodCounts } from '../probes/flood.js';
import type { LabNames } from '../lab/names.js';
import type { Flood } from '../scenario/schema.js';
import type { Shell } from '../targets/types.js';
import { FLOOD_PORT, runFlood } from '../traffic/udp-flood.js';
import { periodic } from '../util/periodic.js';

export { floodAssertions };

/**
 * The flood's rounds, each followed by its gap, with conntrack's counts sampled throughout
 * (counted on the DUT). A round's gap ends where the next round starts.
 */
export async function runFloodRounds(
  shell: Shell, names: LabNames, f: Flood, intervalMs: number, signal: AbortSignal, onRound: (text: string) => void,
): Promise<FloodReport> {
  const t0 = performance.now();
  const now = () => performance.now() - t0;
  const timeline: FloodCounts[] = [];
  const sampler = periodic(intervalMs, async () => {
    if (signal.aborted) return false;
    timeline.push(await readFloodCounts(shell, FLOOD_PORT, now));
  });
  const rounds: FloodReport['rounds'] = [];
  try {
    for (let r = 1; r <= f.rounds; r++) {
      if (signal.aborted) break;
      const start = now();
      const result = await runFlood(names, f, r, signal);
      // A round can end between two samples (10,000 flows took 2.9 s here): read once more.
      const end = await readFloodCounts(shell, FLOOD_PORT, now);
      if (f.roundGapS) await new Promise((res) => setTimeout(res, f.roundGapS * 1000));
      const gapEnd = f.roundGapS ? await readFloodCounts(shell, FLOOD_PORT, now) : undefined;
      const samples = [...timeline.filter((s) => s.tMs >= start), end, ...(gapEnd ? [gapEnd] : [])].sort((a, b) => a.tMs - b.tMs);
      timeline.push(end, ...(gapEnd ? [gapEnd] : []));
      rounds.push(summarizeRound(r, result, start, samples, f.flows, gapEnd));
      const x = rounds[rounds.length - 1]!;
      onRound(`round ${r}/${f.rounds}: ${x.peakOffloaded} of ${f.flows} flows offloaded at once, ${result.flowsAnswered} answered${gapEnd ? `, ${gapEnd.tracked} left after ${f.roundGapS} s` : ''}`);
    }
  } finally {
    await sampler.stop().catch(() => undefined);
  }
  timeline.sort((a, b) => a.tMs - b.tMs);
  return { config: f, rounds, timeline };
}
