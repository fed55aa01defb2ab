import { Qmp } from './qmp.js';

/** One vCPU as QEMU's monitor shows it (`info registers -a`). */
export interface VcpuState {
  index: number;
  /** The instruction pointer: with the kernel's System.map, where the guest is. */
  rip: string;
  /** Privilege level: 0 the kernel, 3 a program. */
  cpl: number;
  /** Waiting in HLT for an interrupt (idle), rather than running code. */
  halted: boolean;
}

/**
 * Reads `info registers -a` (x86): per vCPU a "CPU#N" line, then the registers, RIP on the
 * line with CPL and HLT. Other architectures print other names; what is not found is left out.
 */
export function parseVcpus(text: string): VcpuState[] {
  const out: VcpuState[] = [];
  for (const block of text.split(/^CPU#/m).slice(1)) {
    const index = Number(/^(\d+)/.exec(block)?.[1]);
    const rip = /\bRIP=([0-9a-f]+)/.exec(block)?.[1];
    const cpl = /\bCPL=(\d)/.exec(block)?.[1];
    const hlt = /\bHLT=(\d)/.exec(block)?.[1];
    if (!Number.isInteger(index) || rip === undefined) continue;
    out.push({ index, rip, cpl: Number(cpl ?? -1), halted: hlt === '1' });
  }
  return out;
}

export const describeVcpus = (status: string, cpus: VcpuState[]): string =>
  `QEMU says the guest is ${status}${cpus.map((c) => `; vCPU ${c.index} ${c.halted ? 'halted' : 'running'} at ${c.rip} (${c.cpl === 0 ? 'kernel' : c.cpl === 3 ? 'user' : `CPL ${c.cpl}`})`).join('')}`;

/**
 * Where a guest that went silent is, as its emulator sees it: whether QEMU runs it at all
 * (`query-status`: running, paused, guest-panicked, internal-error) and where each vCPU is.
 * A boot that prints nothing until its timeout otherwise says nothing of why (the profiles
 * boot `quiet`).
 */
export async function readGuestCpus(qmpSocket: string, timeoutMs = 2000): Promise<string> {
  const q = await Qmp.connect(qmpSocket, timeoutMs);
  try {
    const { status } = await q.execute<{ status: string }>('query-status', undefined, timeoutMs);
    const regs = await q.execute<string>('human-monitor-command', { 'command-line': 'info registers -a' }, timeoutMs);
    return describeVcpus(status, parseVcpus(regs));
  } finally {
    q.close();
  }
}
