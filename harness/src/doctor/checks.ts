import { access, constants, stat, statfs } from 'node:fs/promises';
import { request } from 'node:http';
import { freemem, totalmem } from 'node:os';
import { loadDefaultImage } from '../images/default-image.js';
import { hostsRootfs } from '../images/hosts-image.js';
import { orphans } from '../lab/registry.js';
import { chooseAccel } from '../targets/accel.js';
import { loadProfile } from '../targets/qemu-profile.js';
import { exec } from '../util/exec.js';
import { cacheDir } from '../util/paths.js';
import { findDockerd } from '../containers/engine.js';

export type Level = 'ok' | 'warn' | 'fail';
export interface Check {
  name: string;
  level: Level;
  detail: string;
  /** One fix per problem, a command where there is one. */
  fix?: string;
}

const SETUP = 'npm run setup (as root)';

async function tool(name: string, bin: string, args: string[], pkg: string, needed: 'fail' | 'warn' = 'fail', what = ''): Promise<Check> {
  const r = await exec(bin, args, { timeoutMs: 10_000 });
  if (r.exitCode === 127) return { name, level: needed, detail: `${bin} not found${what}`, fix: `apt-get install ${pkg}, or ${SETUP}` };
  const first = `${r.stdout}${r.stderr}`.split('\n').find((l) => l.trim()) ?? '';
  if (r.exitCode !== 0) return { name, level: needed, detail: `${bin} ${args.join(' ')} exited ${r.exitCode}: ${first}`, fix: `apt-get install --reinstall ${pkg}` };
  return { name, level: 'ok', detail: first.trim() };
}

async function root(): Promise<Check> {
  return process.getuid?.() === 0
    ? { name: 'root', level: 'ok', detail: 'running as root' }
    : { name: 'root', level: 'fail', detail: `uid ${process.getuid?.()}: labs need network namespaces and tap devices`, fix: 'run as root (sudo npx hil ...)' };
}

/** Really makes a namespace and a tap in it, then removes both. */
async function namespaces(): Promise<Check> {
  const ns = `hil-doctor-${process.pid}`;
  const add = await exec('ip', ['netns', 'add', ns]);
  if (add.exitCode !== 0) return { name: 'namespaces', level: 'fail', detail: `ip netns add: ${add.stderr.trim()}`, fix: 'run as root on a host (or a privileged container) that allows network namespaces' };
  try {
    const tap = await exec('ip', ['-n', ns, 'tuntap', 'add', 'dev', 'hildoc0', 'mode', 'tap']);
    if (tap.exitCode !== 0) return { name: 'namespaces', level: 'fail', detail: `tap device: ${tap.stderr.trim()}`, fix: 'modprobe tun (and make /dev/net/tun available)' };
    return { name: 'namespaces', level: 'ok', detail: 'a network namespace and a tap device can be made' };
  } finally {
    await exec('ip', ['netns', 'del', ns]);
  }
}

async function defaultImage(): Promise<Check> {
  try {
    const img = await loadDefaultImage();
    return { name: 'default image', level: 'ok', detail: `${img.name}, kernel ${img.kernelRelease}` };
  } catch (e) {
    return { name: 'default image', level: 'fail', detail: (e as Error).message.split(':')[0]!, fix: SETUP };
  }
}

/** Only container lab hosts (lab.hosts.container: default) need it. */
async function hostsImage(): Promise<Check> {
  try {
    return { name: 'hosts image', level: 'ok', detail: await hostsRootfs() };
  } catch (e) {
    return { name: 'hosts image', level: 'warn', detail: `${(e as Error).message.split(':')[0]!}; only container lab hosts need it`, fix: SETUP };
  }
}

/** A real short boot decides, as in runs; TCG works, only slower. */
async function kvm(): Promise<Check> {
  try {
    const c = await chooseAccel(await loadProfile('x86-64'), await loadDefaultImage());
    if (c.accel === 'kvm') return { name: 'kvm', level: 'ok', detail: c.reason };
    const fix = /no usable \/dev\/kvm/.test(c.reason)
      ? 'enable virtualization (VT-x/AMD-V, or nested virtualization for a VM) and load kvm_intel or kvm_amd; labs run under TCG meanwhile'
      : 'the probe above says why KVM aborted on this host; labs run under TCG (slower) meanwhile, HIL_ACCEL=kvm forces KVM';
    return { name: 'kvm', level: 'warn', detail: `TCG: ${c.reason}`, fix };
  } catch (e) {
    return { name: 'kvm', level: 'warn', detail: `not probed: ${(e as Error).message.split('\n')[0]}`, fix: SETUP };
  }
}

function dockerPing(socket: string): Promise<string> {
  return new Promise((res, rej) => {
    const req = request({ socketPath: socket, path: '/_ping', timeout: 3000 }, (r) => {
      let body = '';
      r.on('data', (c) => (body += c));
      r.on('end', () => (r.statusCode === 200 ? res(body) : rej(new Error(`HTTP ${r.statusCode}`))));
    });
    req.on('timeout', () => req.destroy(new Error('no answer in 3 s')));
    req.on('error', rej);
    req.end();
  });
}

async function docker(): Promise<Check> {
  const socket = (process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock').replace(/^unix:\/\//, '');
  try {
    await dockerPing(socket);
    return { name: 'docker', level: 'ok', detail: `engine answers on ${socket}` };
  } catch (e) {
    // A container run starts a dockerd of its own (and stops it) when none answers.
    if (!process.env.DOCKER_HOST && (await findDockerd())) {
      return { name: 'docker', level: 'ok', detail: `no engine on ${socket}; dockerd is installed, so a container run starts its own and stops it after` };
    }
    return { name: 'docker', level: 'warn', detail: `no engine on ${socket} (${(e as Error).message}); only container DUTs and container lab hosts need one`, fix: process.env.DOCKER_HOST ? 'start the engine DOCKER_HOST names, or unset DOCKER_HOST' : 'apt-get install docker.io (the harness starts dockerd itself)' };
  }
}

async function resources(): Promise<Check> {
  const dir = cacheDir();
  const fs = await statfs(dir).catch(() => statfs('/'));
  const freeGb = (fs.bavail * fs.bsize) / 1e9;
  const memGb = freemem() / 1e9;
  const detail = `${freeGb.toFixed(1)} GB free for ${dir}, ${memGb.toFixed(1)} of ${(totalmem() / 1e9).toFixed(1)} GB memory free`;
  if (freeGb < 1) return { name: 'resources', level: 'warn', detail, fix: `free disk space or move the cache: HIL_CACHE=/big/disk (hil cache prune drops old snapshots)` };
  if (memGb < 0.6) return { name: 'resources', level: 'warn', detail, fix: 'free memory: each lab needs about 512 MB (use --jobs 1)' };
  return { name: 'resources', level: 'ok', detail };
}

async function leftovers(): Promise<Check> {
  const labs = await orphans().catch(() => []);
  if (!labs.length) return { name: 'leftover labs', level: 'ok', detail: 'none from killed runs' };
  return { name: 'leftover labs', level: 'warn', detail: `${labs.length} lab(s) of runs that were killed: ${labs.map((l) => l.names.id + (l.cables?.length ? ` (holding cables ${l.cables.map((c) => c.state.name).join(', ')})` : '')).join(', ')}`, fix: 'the next `hil run` removes them' };
}

async function ovmf(): Promise<Check> {
  const f = (await loadProfile('openwrt-x86-64-efi')).firmware!.code;
  return access(f, constants.R_OK).then(
    () => ({ name: 'ovmf', level: 'ok' as const, detail: f }),
    () => ({ name: 'ovmf', level: 'warn' as const, detail: `${f} missing: EFI OpenWrt images cannot boot`, fix: 'apt-get install ovmf' }),
  );
}

/** Labs without root: user namespaces allowed, and /dev/net/tun open to everyone (Debian's 0666). */
async function rootless(): Promise<Check> {
  const userns = await exec('unshare', ['--user', '--map-root-user', '--net', '--mount', 'true']);
  const mode = await stat('/dev/net/tun').then((s) => s.mode & 0o777, () => undefined);
  const problems = [
    ...(userns.exitCode !== 0 ? [`user namespaces refused (${userns.stderr.trim()})`] : []),
    ...(mode === undefined ? ['no /dev/net/tun'] : (mode & 0o006) !== 0o006 ? [`/dev/net/tun is ${mode.toString(8)}`] : []),
  ];
  return problems.length
    ? { name: 'rootless', level: 'warn', detail: `labs need root here: ${problems.join('; ')}`, fix: 'chmod 0666 /dev/net/tun and sysctl kernel.unprivileged_userns_clone=1 (only for runs without root)' }
    : { name: 'rootless', level: 'ok', detail: 'labs can run without root (hil run --rootless, the default for other users)' };
}

/** Every check, in the order a new user meets the problems. */
export async function runChecks(): Promise<Check[]> {
  const first = await Promise.all([
    root(),
    tool('qemu', 'qemu-system-x86_64', ['--version'], 'qemu-system-x86'),
    tool('qemu-img', 'qemu-img', ['--version'], 'qemu-utils'),
    tool('qemu (arm64)', 'qemu-system-aarch64', ['--version'], 'qemu-system-arm', 'warn', ': armsr/armvirt OpenWrt images cannot boot'),
    ovmf(),
    tool('iperf3', 'iperf3', ['--version'], 'iperf3'),
    tool('iproute2', 'ip', ['-V'], 'iproute2'),
    tool('ping', 'ping', ['-V'], 'iputils-ping'),
    tool('bsdtar', 'bsdtar', ['--version'], 'libarchive-tools', 'warn', ': OpenWrt root filesystem tarballs cannot be booted'),
  ]);
  const ns = first[0]!.level === 'ok' ? await namespaces() : { name: 'namespaces', level: 'fail' as const, detail: 'not tried without root', fix: 'run as root' };
  const image = await defaultImage();
  return [...first, ns, image, image.level === 'ok' ? await kvm() : { name: 'kvm', level: 'warn' as const, detail: 'not probed: no default image', fix: SETUP },
    await rootless(), await docker(), await hostsImage(), await resources(), await leftovers()];
}
