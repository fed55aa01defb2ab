export interface Module {
  name: string;
  size: number;
  usedBy: string[];
}

/** `lsmod` (kmod's or busybox's) or /proc/modules. */
export function parseLsmod(text: string): Module[] {
  return text.split('\n').flatMap((l) => {
    const t = l.trim().split(/\s+/);
    if (t.length < 3 || t[0] === 'Module' || !/^\d+$/.test(t[1] ?? '')) return [];
    const used = (t[3] ?? '').split(',').filter((x) => x && x !== '-' && x !== '[permanent]');
    return [{ name: t[0]!, size: Number(t[1]), usedBy: used }];
  });
}
