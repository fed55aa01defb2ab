import { subshell, type Shell } from '../targets/types.js';

export interface KernelLogLine {
  /** Seconds since boot, when the line carries a timestamp. */
  time?: number;
  text: string;
}

/** A device's transmit queue stayed stopped past its timeout (Debian's 6.1 says so without a WARNING). */
export const TX_TIMEOUT = 'NETDEV WATCHDOG';
const TROUBLE = ['BUG:', 'WARNING:', 'Oops', 'general protection fault', 'Kernel panic', 'Call Trace:', 'RIP: ', TX_TIMEOUT];
export const KERNEL_TROUBLE = new RegExp(`\\b(${TROUBLE.join('|')})`);

const ere = (s: string) => s.replace(/[.[\]()*+?{}|^$\\]/g, '\\$&');

/**
 * The kernel log's lines a report reads: trouble anywhere, and lines beginning with one of
 * `starts` (after the timestamp). The DUT picks them out: the whole ring (the boot's ~370
 * lines, restored with every snapshot) took 0.2-0.7 s to cross a TCG guest's serial console.
 * A dmesg that fails (a container's busybox, refused the host's log) gives its error, never
 * an empty log that would read as a clean one.
 */
export async function readKernelLog(shell: Shell, dmesg: string, starts: string[] = []): Promise<{ lines: KernelLogLine[]; error: string | null }> {
  // \b is not in every grep -E (busybox): the DUT's pick is wider, parseDmesg's callers narrow it.
  const pattern = [...TROUBLE.map(ere), ...starts.map((p) => `^(\\[[ 0-9.]*\\] ?)?${ere(p)}`)].join('|');
  const r = await shell.run(subshell(`log=$(${dmesg}) || exit 3; printf '%s\\n' "$log" | grep -E '${pattern}' || [ $? -eq 1 ]`));
  if (r.exitCode !== 0) return { lines: [], error: r.stderr.trim().split('\n').pop() || `${dmesg} failed` };
  return { lines: parseDmesg(r.stdout), error: null };
}

/** `dmesg` output: "[   12.345678] text" lines. */
export function parseDmesg(text: string): KernelLogLine[] {
  return text.split('\n').filter(Boolean).map((l) => {
    const m = /^\[\s*(\d+\.\d+)\]\s?(.*)$/.exec(l);
    return m ? { time: Number(m[1]), text: m[2] ?? '' } : { text: l };
  });
}

export function kernelTrouble(lines: KernelLogLine[]): KernelLogLine[] {
  return lines.filter((l) => KERNEL_TROUBLE.test(l.text));
}
