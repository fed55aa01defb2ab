// Throughput and DUT CPU time per gigabyte for no offload, software offload and simulated
// hardware offload, on one DUT in one run: the router's ports are hil_offload's lan0/wan0 in
// all three modes, so only the offload path differs. DUT CPU is the guest's own busy time
// while iperf3 runs (elapsed × CPUs − idle, from /proc/uptime). Under TCG a guest moving
// traffic as fast as it can is always ~100 % busy, so CPU per GB then only mirrors
// throughput; RATE=... offers a fixed load instead.
import { execa } from 'execa';
import { rm, writeFile } from 'node:fs/promises';
import { Lab } from '../harness/dist/lab/lab.js';
import { newRunToken } from '../harness/dist/lab/names.js';
import { DutBooter } from '../harness/dist/run/dut-boot.js';
import { loadDefaultImage } from '../harness/dist/images/default-image.js';
import { loadProfile } from '../harness/dist/targets/qemu-profile.js';
import { DefaultPlatform } from '../harness/dist/platforms/default.js';

const rounds = Number(process.env.ROUNDS ?? 2);
const seconds = Number(process.env.SECONDS_PER_RUN ?? 3);
// UDP_LEN=64: small UDP datagrams at full rate, where per-packet cost (the stack's, or the engine's) dominates.
const udpLen = process.env.UDP_LEN;
// RATE: a fixed offered load (iperf3 -b), so the DUT is not saturated and its busy time
// shows what each path costs; unset, iperf3 goes as fast as it can (throughput).
const rate = process.env.RATE;
const extra = udpLen ? ['-u', '-b', rate ?? '0', '-l', udpLen] : rate ? ['-b', rate] : [];
// ICOUNT=1: QEMU's -icount shift=0 makes the guest's clock count its own instructions (1 ns each)
// while it runs, so its busy time is the work done, free of how busy the host happened to be.
const icount = process.env.ICOUNT === '1';
const profile = await loadProfile('x86-64');
const wrapper = `/tmp/hil-bench-icount-${process.pid}.sh`;
if (icount) {
  await writeFile(wrapper, `#!/bin/sh\nexec ${profile.binary} "$@" -icount shift=0,sleep=on\n`, { mode: 0o755 });
  profile.binary = wrapper;
}
const lab = await Lab.create(newRunToken(), 0);
// QEMU on core 0, the lab's iperf3 on core 1 (PIN=0 to leave scheduling alone): otherwise the
// traffic generator steals the guest's core and the guest's own CPU accounting goes astray.
const pin = process.env.PIN !== '0';
const ns = (side, args) => execa('ip', ['netns', 'exec', lab.names.ns[side], ...(pin ? ['taskset', '-c', '1'] : []), ...args], { reject: false, timeout: (seconds + 20) * 1000 });
try {
  const { dut } = await new DutBooter(null).boot({
    name: `hil-${lab.names.id}`, profile, image: await loadDefaultImage(), accel: { accel: 'tcg', reason: 'bench' },
    netns: lab.names.ns.dut, taps: lab.names.taps, transcript: `/tmp/hil-bench-modes-${process.pid}.log`, bootTimeoutMs: 60000, commandTimeoutMs: 20000,
  });
  await lab.wireHosts();
  if (pin) {
    const pids = (await execa('pgrep', ['-f', '--', `-name hil-${lab.names.id}`])).stdout.split('\n').filter(Boolean);
    for (const pid of pids) await execa('taskset', ['-a', '-p', '-c', '0', pid]);
  }
  const platform = new DefaultPlatform({ entries: 256, hwTcOffload: true });
  await platform.configureNetwork(dut.shell);
  const cpus = Number((await dut.shell.run('nproc')).stdout.trim());
  // /proc/stat's busy fields are sampled at each tick; the idle time in /proc/uptime is measured
  // (nohz), so busy = elapsed × CPUs − idle is exact to its 10 ms print resolution. In USER_HZ units.
  const busy = async () => {
    const [up, idle] = (await dut.shell.run('cat /proc/uptime')).stdout.trim().split(/\s+/).map(Number);
    return { busy: (up * cpus - idle) * 100, total: up * cpus * 100 };
  };
  const rows = { none: [], sw: [], hw: [] };
  for (let r = 0; r < rounds; r++) {
    for (const mode of ['none', 'sw', 'hw']) {
      await platform.applyOffload(dut.shell, { mode, forwardCounter: false });
      const port = 5400 + r * 3 + ['none', 'sw', 'hw'].indexOf(mode);
      const srv = ns('wan', ['iperf3', '-s', '-1', '-p', String(port)]);
      await new Promise((res) => setTimeout(res, 300));
      const a = await busy();
      const c = await ns('lan', ['iperf3', '-c', '10.99.0.1', '-p', String(port), '-t', String(seconds), '-J', ...extra]);
      const b = await busy();
      await srv;
      const j = JSON.parse(c.stdout);
      const sum = j.end.sum_received ?? j.end.sum;
      const bytes = sum.bytes;
      const cpuS = (b.busy - a.busy) / 100; // USER_HZ
      rows[mode].push({ gbps: (sum.bits_per_second / 1e9), cpuPerGB: cpuS / (bytes / 1e9), busyPct: (100 * (b.busy - a.busy)) / (b.total - a.total) });
    }
  }
  const med = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
  console.log('| mode | throughput (Gbit/s) | DUT CPU s per GB | DUT busy % |');
  console.log('|---|---|---|---|');
  for (const [mode, rs] of Object.entries(rows)) {
    console.log(`| ${mode} | ${med(rs.map((x) => x.gbps)).toFixed(2)} | ${med(rs.map((x) => x.cpuPerGB)).toFixed(3)} | ${med(rs.map((x) => x.busyPct)).toFixed(0)} |`);
  }
  console.log(JSON.stringify(rows));
  await dut.stop();
} finally {
  await lab.destroy();
  await rm(wrapper, { force: true });
}
