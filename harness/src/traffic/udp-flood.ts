import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { hostAddr } from '../lab/addressing.js';
import type { LabNames } from '../lab/names.js';
import type { Flood } from '../scenario/schema.js';

export const FLOOD_PORT = 6000;
/** Source ports FIRST_PORT.. are the flows' own: never reused within a round. */
const FIRST_PORT = 20000;

export interface FloodResult {
  flows: number;
  flowsAnswered: number;
  sent: number;
  answered: number;
  durationMs: number;
  failures: string[];
}

const script = (name: string) => fileURLToPath(new URL(`./${name}.js`, import.meta.url));

/**
 * One round of short UDP flows from the LAN host to the WAN host's echo, both node scripts
 * in the lab's namespaces: the traffic never leaves the lab.
 */
export async function runFlood(names: LabNames, f: Flood, round: number, signal: AbortSignal): Promise<FloodResult> {
  const echo = execa('ip', ['netns', 'exec', names.ns.wan, process.execPath, script('udp-echo'), String(FLOOD_PORT), hostAddr('wan', 'ipv4')], { reject: false, cancelSignal: signal });
  try {
    await new Promise<void>((res, rej) => {
      echo.stdout!.once('data', () => res());
      void echo.then((r) => rej(new Error(`the WAN host's UDP echo did not start: ${String(r.stderr).trim() || `exit ${r.exitCode}`}`)));
    });
    // Rounds use disjoint port ranges while earlier rounds' entries may still be in conntrack.
    const first = FIRST_PORT + (round % 2) * f.flows;
    const client = await execa('ip', ['netns', 'exec', names.ns.lan, process.execPath, script('udp-flood-client'),
      hostAddr('wan', 'ipv4'), String(FLOOD_PORT), String(f.flows), String(f.packetsPerFlow), String(f.concurrency), String(first)],
    { reject: false, cancelSignal: signal, timeout: (f.flows * f.packetsPerFlow * 1000) / f.concurrency + 60_000 });
    if (client.exitCode !== 0) throw new Error(`the UDP flood client failed (exit ${client.exitCode}): ${String(client.stderr).trim().slice(-300)}`);
    return JSON.parse(String(client.stdout).trim().split('\n').pop()!) as FloodResult;
  } finally {
    echo.kill('SIGKILL');
    await echo.catch(() => undefined);
  }
}
