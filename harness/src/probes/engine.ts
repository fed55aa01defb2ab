import type { Shell } from '../targets/types.js';

/** `ethtool -S lan0` on hil_offload's port: "     engine_hits: 123" lines. */
export function parseEngineStats(text: string): EngineCounters | null {
  const v: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*(\w+):\s*(\d+)\s*$/.exec(line);
    if (m) v[m[1]!] = Number(m[2]);
  }
  if (v.engine_capacity === undefined) return null;
  return {
    entries: v.engine_entries ?? 0, capacity: v.engine_capacity, hits: v.engine_hits ?? 0, misses: v.engine_misses ?? 0,
    tableFull: v.engine_table_full ?? 0, refused: v.engine_refused ?? 0, replace: v.engine_replace ?? 0, destroy: v.engine_destroy ?? 0,
  };
}

/**
 * The engine's counters after the traffic; with drainWithinMs, also how long its table takes
 * to empty (flows expire once idle for the flowtable's timeout and their rules are destroyed).
 */
export async function readEngine(shell: Shell, port: string, drainWithinMs?: number): Promise<EngineCounters | undefined> {
  let n = 0;
  // The first read is shown whole; the drain checks after it, one line each.
  const read = async () => {
    const k = n++;
    const fold = k ? { fold: (r: { stdout: string }) => `engine drain check ${k}: ${parseEngineStats(r.stdout)?.entries ?? '?'} entries left` } : {};
    return parseEngineStats((await shell.run(`/usr/sbin/ethtool -S ${port}`, fold)).stdout) ?? undefined;
  };
  const first = await read();
  if (!first || drainWithinMs === undefined) return first;
  const ended = performance.now();
  let e = first;
  while (e.entries > 0 && performance.now() - ended < drainWithinMs + 2000) {
    await new Promise((r) => setTimeout(r, 250));
    e = (await read()) ?? e;
  }
  return { ...e, hits: first.hits, drainedAfterMs: e.entries === 0 ? Math.round(performance.now() - ended) : null };
}

/** The simulated engine's counters (ethtool -S on its port), as the report keeps them. */
export interface EngineCounters {
  entries: number;
  capacity: number;
  hits: number;
  misses: number;
  tableFull: number;
  refused: number;
  replace: number;
  destroy: number;
  /** Milliseconds after the traffic until the table was empty (expect.engine.drainedWithinMs); null: it was not. */
  drainedAfterMs?: number | null;
}
