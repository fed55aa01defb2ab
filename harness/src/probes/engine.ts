import type { EngineCounters } from '../report/types.js';

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
