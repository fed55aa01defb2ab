import type { Shell } from '../targets/types.js';

/**
 * `ethtool -S DEV`: the driver's own counters ("NIC statistics:" then "name: value" lines).
 * On a board these are what the packet engine or switch driver reports of offloaded traffic.
 */
export function parseEthtoolStats(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^\s+([^:]+):\s+(-?\d+)\s*$/.exec(line);
    if (m) out[m[1]!.trim()] = Number(m[2]);
  }
  return out;
}

/** Each device's counters; a device or driver without statistics is left out. */
export async function readPortCounters(shell: Shell, ethtool: string, devices: string[]): Promise<Record<string, Record<string, number>>> {
  const out: Record<string, Record<string, number>> = {};
  for (const d of devices) {
    const r = await shell.run(`${ethtool} -S ${d}`);
    if (r.exitCode === 0) out[d] = parseEthtoolStats(r.stdout);
  }
  return out;
}
