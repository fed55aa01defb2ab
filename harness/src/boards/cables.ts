import { exec, execOk } from '../util/exec.js';

/** What an interface was before the lab took it, enough to give it back as it was. */
export interface CableState {
  name: string;
  up: boolean;
  mtu: number;
  master?: string;
  /** "addr/prefix" of each address that was configured (not the kernel's own link-local). */
  addresses: string[];
  /** Routes through it other than the kernel's own, as `ip -j route` gave them. */
  routes: { family: 4 | 6; dst: string; gateway?: string; metric?: number }[];
}

interface IpAddr { family: string; local: string; prefixlen: number; scope: string; dynamic?: boolean }
interface IpLink { ifname: string; mtu: number; flags: string[]; master?: string; addr_info?: IpAddr[] }
interface IpRoute { dst: string; gateway?: string; metric?: number; protocol?: string }

export async function readCable(name: string): Promise<CableState> {
  const r = await exec('ip', ['-j', 'addr', 'show', 'dev', name]);
  if (r.exitCode !== 0) throw new Error(`cable ${name}: no such interface on this machine (${r.stderr.trim()})`);
  const link = (JSON.parse(r.stdout) as IpLink[])[0]!;
  const routes: CableState['routes'] = [];
  for (const family of [4, 6] as const) {
    const rr = await execOk('ip', ['-j', `-${family}`, 'route', 'show', 'dev', name]);
    for (const x of JSON.parse(rr.stdout || '[]') as IpRoute[]) {
      if (x.protocol === 'kernel' || x.dst.startsWith('fe80:')) continue;
      routes.push({ family, dst: x.dst, gateway: x.gateway, metric: x.metric });
    }
  }
  return {
    name,
    up: link.flags.includes('UP'),
    mtu: link.mtu,
    master: link.master,
    addresses: (link.addr_info ?? []).filter((a) => !(a.family === 'inet6' && a.scope === 'link') && !a.dynamic).map((a) => `${a.local}/${a.prefixlen}`),
    routes,
  };
}

/** A cable as the lab holds it: its state before, and the name it goes by inside the lab. */
export interface LentCable {
  state: CableState;
  mode: 'move' | 'macvlan';
  as: string;
}

/** Where a name is: this machine's namespace (null), one of the lab's, or nowhere. */
async function locate(name: string, namespaces: string[]): Promise<string | null | undefined> {
  for (const ns of namespaces) if ((await exec('ip', ['-n', ns, 'link', 'show', 'dev', name])).exitCode === 0) return ns;
  if ((await exec('ip', ['link', 'show', 'dev', name])).exitCode === 0) return null;
  return undefined;
}

/**
 * Gives an interface back to this machine as it was: out of whichever lab namespace holds
 * it, under its own name, then its MTU, master, addresses, routes and up/down state.
 * Called before the lab's namespaces go (a veth deleted with one would be gone for good).
 * Returns what could not be restored (empty when all was).
 */
export async function restoreCable(c: LentCable, namespaces: string[]): Promise<string[]> {
  const s = c.state;
  const problems: string[] = [];
  if (c.mode === 'macvlan') {
    const at = await locate(c.as, namespaces);
    if (at) await exec('ip', ['-n', at, 'link', 'del', c.as]);
  } else {
    const lent = await locate(c.as, namespaces);
    if (lent) {
      await exec('ip', ['-n', lent, 'link', 'set', c.as, 'down']);
      const r = await exec('ip', ['-n', lent, 'link', 'set', c.as, 'name', s.name]);
      if (r.exitCode !== 0) return [`cable ${s.name}: could not take back its name in ${lent}: ${r.stderr.trim()}`];
    }
    const where = await locate(s.name, namespaces);
    if (where === undefined) return [`cable ${s.name}: gone (not on this machine nor in the lab)`];
    if (where !== null) {
      const r = await exec('ip', ['-n', where, 'link', 'set', s.name, 'netns', '1']);
      if (r.exitCode !== 0) return [`cable ${s.name}: could not leave ${where}: ${r.stderr.trim()}`];
    }
  }
  const ip = async (...args: string[]) => {
    const r = await exec('ip', args);
    if (r.exitCode !== 0 && !/File exists/.test(r.stderr)) problems.push(`cable ${s.name}: ip ${args.join(' ')}: ${r.stderr.trim()}`);
  };
  if (c.mode === 'move') {
    await ip('addr', 'flush', 'dev', s.name);
    await ip('link', 'set', s.name, 'mtu', String(s.mtu));
    if (s.master) await ip('link', 'set', s.name, 'master', s.master);
  }
  await ip('link', 'set', s.name, s.up ? 'up' : 'down');
  if (c.mode === 'move') {
    for (const a of s.addresses) await ip('addr', 'add', a, 'dev', s.name, ...(a.includes(':') ? ['nodad'] : []));
    for (const r of s.routes) {
      await ip(`-${r.family}`, 'route', 'replace', r.dst, ...(r.gateway ? ['via', r.gateway] : []), 'dev', s.name, ...(r.metric !== undefined ? ['metric', String(r.metric)] : []));
    }
  }
  return problems;
}

/** Moves the interface (mode move) or a macvlan on it (mode macvlan) into ns under the name as. */
export async function lendCable({ state: s, mode, as }: LentCable, ns: string): Promise<void> {
  if (mode === 'macvlan') {
    await execOk('ip', ['link', 'set', s.name, 'up']);
    await execOk('ip', ['link', 'add', as, 'link', s.name, 'type', 'macvlan', 'mode', 'bridge']);
    await execOk('ip', ['link', 'set', as, 'netns', ns]);
    return;
  }
  // The old addresses must not answer inside the lab; they are restored from s afterwards.
  await execOk('ip', ['addr', 'flush', 'dev', s.name]);
  if (s.master) await execOk('ip', ['link', 'set', s.name, 'nomaster']);
  await execOk('ip', ['link', 'set', s.name, 'netns', ns]);
  // Named as the lab names a DUT link, so wiring the hosts needs no case for boards.
  await execOk('ip', ['-n', ns, 'link', 'set', s.name, 'name', as]);
}
