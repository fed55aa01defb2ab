export interface KernelLogLine {
  /** Seconds since boot, when the line carries a timestamp. */
  time?: number;
  text: string;
}

export const KERNEL_TROUBLE = /\b(BUG:|WARNING:|Oops|general protection fault|Kernel panic|Call Trace:|RIP: )/;

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
