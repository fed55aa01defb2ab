import { existsSync, readdirSync, readFileSync } from 'node:fs';
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
 * The suite's own labs: their ids are in the journal the harness appends to (HIL_LAB_JOURNAL,
 * set by the global setup and inherited by every hil the tests start), and the processes
 * they started carry the journal's name in their environment. Without a journal: everything.
 */
function scope(): { ours: (text: string) => boolean; ourProcess: (pid: number) => boolean } {
  const journal = process.env.HIL_LAB_JOURNAL;
  if (!journal) return { ours: () => true, ourProcess: () => true };
  let ids: string[] = [];
  try {
    ids = readFileSync(journal, 'utf8').split('\n').filter(Boolean);
  } catch {
    /* no lab started yet */
  }
  const mark = `HIL_LAB_JOURNAL=${journal}\0`;
  return {
    ours: (text) => ids.some((id) => text.includes(`hil-${id}`) || text.includes(`hil${id}`)),
    ourProcess: (pid) => {
      try {
        return readFileSync(`/proc/${pid}/environ`, 'latin1').includes(mark);
      } catch {
        return false; // gone meanwhile
      }
    },
  };
}

/** `pgrep -af` lines of this suite's processes. */
async function ourProcesses(pattern: string, ourProcess: (pid: number) => boolean): Promise<string[]> {
  const lines = (await execa('pgrep', ['-af', pattern], { reject: false })).stdout.split('\n').filter(Boolean);
  return lines.filter((l) => ourProcess(Number(l.split(' ')[0])));
}

/**
 * Namespaces, tap devices, QEMU and iperf3 processes, QMP sockets and overlays a lab of this
 * suite could leave behind (another run on the machine is not this suite's leak); with a
 * snapshot folder, also half-written states and locks.
 */
export async function leftovers(snapshotDir?: string): Promise<string[]> {
  const { ours, ourProcess } = scope();
  const qmp = ls('/run/offload-hil/qmp').filter(ours).map((f) => `qmp socket ${f}`);
  const overlays = ls('/var/tmp/offload-hil/overlays').filter(ours).map((f) => `overlay ${f}`);
  const snaps = snapshotDir
    ? ls(snapshotDir).flatMap((d) => (d.endsWith('.lock') ? [`lock ${d}`] : ls(join(snapshotDir, d)).filter((f) => f.startsWith('partial-')).map((f) => `partial ${d}/${f}`)))
    : [];
  const ns = (await execa('ip', ['netns', 'list'])).stdout.split('\n').filter((l) => l.startsWith('hil-') && ours(l));
  const taps = (await execa('ip', ['-o', 'link', 'show', 'type', 'tun'])).stdout.split('\n').filter((l) => / hil/.test(l) && ours(l));
  const qemu = (await ourProcesses('^qemu-system', ourProcess)).filter((l) => l.includes('-name hil-'));
  // Lab hosts' traffic processes, and the latency probe (ping of the lab's WAN host address).
  const iperf = (await ourProcesses('^iperf3', ourProcess)).map((l) => `process ${l}`);
  const ping = (await ourProcesses('^ping .*10\\.99\\.0\\.1', ourProcess)).map((l) => `process ${l}`);
  // Bottleneck bridges and veths live in the lab's namespaces; one in the host's would be a leak.
  const links = (await execa('ip', ['-o', 'link', 'show'])).stdout.split('\n').filter((l) => /^\d+: hil\w+[rbvpq][@:]/.test(l) && ours(l));
  // Live-lab sessions (hil shell, --keep-on-failure) remove their folder when they end.
  // A session or board lock held by a live process of another run is that run's.
  const held = (file: string) => {
    let pid = 0;
    try {
      pid = Number((JSON.parse(readFileSync(file, 'utf8')) as { pid?: number }).pid);
    } catch {
      return true;
    }
    return !existsSync(`/proc/${pid}`) || ourProcess(pid);
  };
  const sessions = ls('/run/offload-hil/sessions').filter((f) => held(`/run/offload-hil/sessions/${f}/session.json`)).map((f) => `session ${f}`);
  const boardLocks = ls('/run/offload-hil/boards').filter((f) => held(`/run/offload-hil/boards/${f}`)).map((f) => `board lock ${f}`);
  // A Docker engine the harness started must be stopped by it; containers and images go with it.
  const dockerd = (await ourProcesses('dockerd.*offload-hil', ourProcess)).map((l) => `process ${l}`);
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
  const mounts = readFileSync('/proc/mounts', 'utf8').split('\n').filter((l) => (/\/hil-\w+-(dut|lan|wan)\b/.test(l) ? ours(l) : /offload-hil/.test(l))).map((l) => `mount ${l}`);
  return [...ns, ...taps, ...qemu, ...iperf, ...ping, ...links, ...qmp, ...overlays, ...snaps, ...sessions, ...boardLocks, ...dockerd, ...dockerSock, ...containers, ...images, ...temps, ...mounts];
}
