import { execa } from 'execa';
import type { LabNames } from '../lab/names.js';
import type { ConsoleDut } from '../targets/types.js';

/**
 * Faults a test can inject into a real run (HIL_FAULT=KIND[@MS], MS after the traffic
 * starts), so every failure path is exercised end to end on a real lab, not a mock:
 *   panic        the DUT kernel panics (sysrq c)
 *   silent       the DUT console goes silent (QEMU stopped, SIGSTOP)
 *   qemu-killed  QEMU killed from outside (SIGKILL)
 *   iperf3-dies  the WAN host's iperf3 servers are killed
 */
export const FAULTS = ['panic', 'silent', 'qemu-killed', 'iperf3-dies'] as const;
export type Fault = (typeof FAULTS)[number];

export function parseFault(text: string | undefined): { kind: Fault; afterMs: number } | undefined {
  if (!text) return undefined;
  const [kind, ms] = text.split('@');
  if (!FAULTS.includes(kind as Fault)) throw new Error(`HIL_FAULT: unknown fault "${kind}" (${FAULTS.join(', ')})`);
  return { kind: kind as Fault, afterMs: ms === undefined ? 1000 : Number(ms) };
}

const signal = (pid: number, sig: NodeJS.Signals) => {
  // A board's console has no process of ours behind it.
  if (!pid) return;
  try {
    process.kill(pid, sig);
  } catch {
    /* gone already */
  }
};

export async function injectFault(kind: Fault, dut: ConsoleDut, names: LabNames): Promise<void> {
  dut.console.note(`fault injected: ${kind}`);
  if (kind === 'panic') {
    // Straight to the console: the agent will never answer this one.
    dut.console.write('hil-fault P echo c > /proc/sysrq-trigger\n');
  } else if (kind === 'silent') {
    signal(dut.console.pid, 'SIGSTOP');
  } else if (kind === 'qemu-killed') {
    signal(dut.console.pid, 'SIGKILL');
  } else {
    const pids = (await execa('ip', ['netns', 'pids', names.ns.wan], { reject: false })).stdout.split('\n').filter(Boolean).map(Number);
    for (const pid of pids) {
      const cmd = (await execa('cat', [`/proc/${pid}/comm`], { reject: false })).stdout.trim();
      if (cmd === 'iperf3') signal(pid, 'SIGKILL');
    }
  }
}
