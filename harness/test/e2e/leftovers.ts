import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';

const ls = (dir: string) => {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
};

/**
 * Namespaces, tap devices, QEMU and iperf3 processes, QMP sockets and overlays a lab could leave behind; with a
 * snapshot folder, also half-written states and locks.
 */
export async function leftovers(snapshotDir?: string): Promise<string[]> {
  const qmp = ls('/run/offload-hil/qmp').map((f) => `qmp socket ${f}`);
  const overlays = ls('/var/tmp/offload-hil/overlays').map((f) => `overlay ${f}`);
  const snaps = snapshotDir
    ? ls(snapshotDir).flatMap((d) => (d.endsWith('.lock') ? [`lock ${d}`] : ls(join(snapshotDir, d)).filter((f) => f.startsWith('partial-')).map((f) => `partial ${d}/${f}`)))
    : [];
  const ns = (await execa('ip', ['netns', 'list'])).stdout.split('\n').filter((l) => l.startsWith('hil-'));
  const taps = (await execa('ip', ['-o', 'link', 'show', 'type', 'tun'])).stdout.split('\n').filter((l) => / hil/.test(l));
  const qemu = (await execa('pgrep', ['-af', '^qemu-system'], { reject: false })).stdout.split('\n').filter((l) => l.includes('-name hil-'));
  // Lab hosts' traffic processes (nothing else on a test machine runs iperf3).
  const iperf = (await execa('pgrep', ['-af', '^iperf3'], { reject: false })).stdout.split('\n').filter(Boolean).map((l) => `process ${l}`);
  // The latency probe runs under `ip netns exec` as ping with the lab's WAN host address.
  const ping = (await execa('pgrep', ['-af', '^ping .*10\\.99\\.0\\.1'], { reject: false })).stdout.split('\n').filter(Boolean).map((l) => `process ${l}`);
  // Bottleneck bridges and veths live in the lab's namespaces; one in the host's would be a leak.
  const links = (await execa('ip', ['-o', 'link', 'show'])).stdout.split('\n').filter((l) => /^\d+: hil\w+[rbvpq][@:]/.test(l));
  // Live-lab sessions (hil shell, --keep-on-failure) remove their folder when they end.
  const sessions = ls('/run/offload-hil/sessions').map((f) => `session ${f}`);
  const boardLocks = ls('/run/offload-hil/boards').map((f) => `board lock ${f}`);
  // A Docker engine the harness started must be stopped by it; containers and images go with it.
  const dockerd = (await execa('pgrep', ['-af', 'dockerd.*offload-hil'], { reject: false })).stdout.split('\n').filter(Boolean).map((l) => `process ${l}`);
  const dockerSock = ls('/run/offload-hil').filter((f) => f.startsWith('docker')).map((f) => `docker file /run/offload-hil/${f}`);
  // Its data outlives it: containers a run did not remove, and images it imported (their tags) would be found there.
  const containers = ls('/var/lib/offload-hil/docker/containers').map((c) => `container ${c.slice(0, 12)}`);
  const repos = (() => {
    try {
      return readFileSync('/var/lib/offload-hil/docker/image/overlay2/repositories.json', 'utf8');
    } catch {
      return '';
    }
  })();
  const images = [...repos.matchAll(/"(offload-hil\/rootfs:[0-9a-f]+)"/g)].map((m) => `image ${m[1]}`);
  // The harness's own temp files (the KVM probe's log) and any mount a lab could leave.
  const temps = ls(tmpdir()).filter((f) => f.startsWith('hil-kvm-probe-')).map((f) => `temp file ${f}`);
  const mounts = readFileSync('/proc/mounts', 'utf8').split('\n').filter((l) => /offload-hil|\/hil-\w+-(dut|lan|wan)\b/.test(l)).map((l) => `mount ${l}`);
  return [...ns, ...taps, ...qemu, ...iperf, ...ping, ...links, ...qmp, ...overlays, ...snaps, ...sessions, ...boardLocks, ...dockerd, ...dockerSock, ...containers, ...images, ...temps, ...mounts];
}
