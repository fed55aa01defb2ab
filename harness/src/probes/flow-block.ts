import { subshell, type Shell } from '../targets/types.js';

/**
 * The flowtable's hardware side as the kernel itself sees it, through kprobe trace events
 * (tracefs): each device's answer to the flow block BIND (`nf_flow_table_offload_setup`, the
 * driver's ndo_setup_tc(TC_SETUP_FT) or an indirect block), and the hardware inserts queued
 * (`nf_flow_offload_add`: a flow's first, and the retries `flow_offload_refresh` makes about
 * once a second while a flow is not in hardware). Upstream a refusal also fails the
 * flowtable; OpenWrt's kernels (patch 701) ignore -EOPNOTSUPP there, so only these events
 * still tell which device took it. Kernels without kprobe events (OpenWrt's own) say so.
 */
export const TRACEFS = '/sys/kernel/tracing';
/**
 * The BIND probe names the device through BTF (`dev->name`, kernels since 6.5 with BTF, as
 * Debian's 6.12): since 6.8 struct net_device no longer starts with its name. Older kernels
 * take the offset form: there the name is the struct's first field.
 */
const BIND_BTF = 'p:hil/ftbind nf_flow_table_offload_setup dev=dev->name:string cmd=cmd:s32';
const BIND_OFFSET = 'p:hil/ftbind nf_flow_table_offload_setup dev=+0(%si):string cmd=%dx:s32';
const EVENTS = [
  'r:hil/ftbind_ret nf_flow_table_offload_setup ret=$retval:s32',
  'p:hil/hwadd nf_flow_offload_add',
];

const ERRNO: Record<number, string> = { 95: 'EOPNOTSUPP', 2: 'ENOENT', 28: 'ENOSPC', 22: 'EINVAL', 16: 'EBUSY', 12: 'ENOMEM', 1: 'EPERM', 19: 'ENODEV' };
export const errnoName = (ret: number) => (ret === 0 ? 'accepted' : `${ERRNO[-ret] ?? 'error'} (${ret})`);

/** Defines and enables the events (once per boot); null when the kernel cannot, with why. */
export async function armFlowBlockProbes(shell: Shell): Promise<string | null> {
  const defs = EVENTS.map((e) => `'${e}'`).join(' ');
  const r = await shell.run(subshell([
    `[ -e ${TRACEFS}/kprobe_events ] || mount -t tracefs nodev ${TRACEFS} 2>/dev/null`,
    `[ -w ${TRACEFS}/kprobe_events ] || { echo 'no kprobe events (tracefs) in this kernel' >&2; exit 3; }`,
    `grep -q '^p:hil/ftbind ' ${TRACEFS}/kprobe_events || { { echo '${BIND_BTF}' >> ${TRACEFS}/kprobe_events 2>/dev/null || echo '${BIND_OFFSET}' >> ${TRACEFS}/kprobe_events; } && for e in ${defs}; do echo "$e" >> ${TRACEFS}/kprobe_events || exit 4; done || { echo "the kernel refused the flow block probes (no such symbol: nf_flow_table not loaded?)" >&2; exit 4; }; }`,
    `echo 1 > ${TRACEFS}/events/hil/enable`,
  ].join(' && ')));
  return r.exitCode === 0 ? null : r.stderr.trim() || `arming the trace probes failed (exit ${r.exitCode})`;
}

export interface DeviceAnswer {
  /** The driver's answer to the flow block BIND, as the kernel got it. */
  flowBlock: 'accepted' | 'refused' | 'not asked';
  /** Its error, e.g. "EOPNOTSUPP (-95)". */
  error?: string;
  /** What `nft -c` of a flowtable with `flags offload` on this device alone said: null, accepted. */
  nftCheck: string | null;
}

const MARK = '--hil-device--';

/**
 * `{ dev: [cmd, ret], ... }` from a trace: each BIND (cmd 0) paired with the return that
 * follows it on the same task. Lines look like
 *   nft-412 [000] ..... 51.90: ftbind: (nf_flow_table_offload_setup+0x0/0x110 [nf_flow_table]) dev="eth0" cmd=0
 *   nft-412 [000] ..... 51.90: ftbind_ret: (nf_tables_newflowtable+0x.. <- nf_flow_table_offload_setup) ret=-95
 */
export function parseBindTrace(trace: string): { dev: string; ret: number }[] {
  const out: { dev: string; ret: number }[] = [];
  const open = new Map<string, string>();
  for (const line of trace.split('\n')) {
    const task = /^\s*(\S+)\s+\[\d+\]/.exec(line)?.[1];
    if (!task) continue;
    const bind = /\bftbind: .* dev="([^"]*)" cmd=(-?\d+)/.exec(line);
    if (bind) {
      if (bind[2] === '0') open.set(task, bind[1]!);
      else open.delete(task);
      continue;
    }
    const ret = /\bftbind_ret: .* ret=(-?\d+)/.exec(line);
    if (ret && open.has(task)) {
      out.push({ dev: open.get(task)!, ret: Number(ret[1]) });
      open.delete(task);
    }
  }
  return out;
}

/**
 * Asks each device alone, in a throw-away table (`nft -c`, as firewall4's own probe does): the
 * kernel's verdict on the flowtable, and the driver's answer to BIND, read from the trace.
 */
export async function deviceAnswers(shell: Shell, nft: string, devices: string[]): Promise<Record<string, DeviceAnswer>> {
  const table = (d: string) => ['table inet hil-flow-block-test {', '\tflowtable ft {', '\t\thook ingress priority 0;', `\t\tdevices = { ${d} };`, '\t\tflags offload;', '\t}', '}'];
  const cmds = devices.map((d) => [
    `echo > ${TRACEFS}/trace`,
    `echo "${MARK} ${d}"`,
    `printf '%s\\n' ${table(d).map((l) => `'${l}'`).join(' ')} | ${nft} -c -f - 2>&1; echo "nft-exit=$?"`,
    `cat ${TRACEFS}/trace`,
  ].join('; '));
  const r = await shell.run(cmds.join('; '));
  const out: Record<string, DeviceAnswer> = {};
  for (const part of r.stdout.split(`${MARK} `).slice(1)) {
    const dev = part.slice(0, part.indexOf('\n')).trim();
    const exit = /nft-exit=(\d+)/.exec(part)?.[1];
    const nftErr = part.split('\n').find((l) => l.includes('Error:'));
    const binds = parseBindTrace(part).filter((b) => b.dev === dev);
    const last = binds[binds.length - 1];
    out[dev] = {
      flowBlock: !last ? 'not asked' : last.ret === 0 ? 'accepted' : 'refused',
      ...(last && last.ret !== 0 && { error: errnoName(last.ret) }),
      nftCheck: exit === '0' ? null : (nftErr ?? 'refused').replace(/^.*?Error: /, 'Error: ').trim(),
    };
  }
  return out;
}

/** An event's hits from kprobe_profile ("  hwadd   6   0": name, hits, misses). */
export function kprobeHits(profile: string, event: string): number | null {
  const m = new RegExp(`^\\s*(?:hil/)?${event}\\s+(\\d+)`, 'm').exec(profile);
  return m ? Number(m[1]) : null;
}

/** How many hardware inserts the flowtable has queued since the probes were armed. */
export async function hwInsertCount(shell: Shell): Promise<number | null> {
  return kprobeHits((await shell.run(`cat ${TRACEFS}/kprobe_profile 2>/dev/null`)).stdout, 'hwadd');
}
