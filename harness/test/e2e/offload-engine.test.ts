import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDefaultImage } from '../../src/images/default-image.js';
import { Lab } from '../../src/lab/lab.js';
import { newRunToken } from '../../src/lab/names.js';
import { DefaultPlatform } from '../../src/platforms/default.js';
import { parseEngineStats } from '../../src/probes/engine.js';
import { kernelTrouble, parseDmesg } from '../../src/probes/kernel-log.js';
import { DutBooter } from '../../src/run/dut-boot.js';
import { loadProfile } from '../../src/targets/qemu-profile.js';
import type { QemuDut } from '../../src/targets/qemu.js';
import { leftovers } from './leftovers.js';

// hil_offload's own behaviour, driven from inside the DUT: bad rules refused cleanly,
// the port deleted and the module unloaded while hardware flows carry traffic. The kernel
// log must stay free of warnings and oopses throughout.
describe('the simulated offload engine under abuse', () => {
  let lab: Lab;
  let dut: QemuDut;
  const sh = (cmd: string) => dut.shell.run(cmd);
  // No shell in between: a signal must reach iperf3 itself.
  const hostNs = (side: 'lan' | 'wan', cmd: string) => execa('ip', ['netns', 'exec', lab.names.ns[side], ...cmd.split(' ')], { reject: false, timeout: 15_000 });
  const trouble = async () => kernelTrouble(parseDmesg((await sh('dmesg')).stdout)).map((l) => l.text);

  beforeAll(async () => {
    lab = await Lab.create(newRunToken(), 0);
    ({ dut } = await new DutBooter(null).boot({
      name: `hil-${lab.names.id}`, profile: await loadProfile('x86-64'), image: await loadDefaultImage(), accel: { accel: 'tcg', reason: 'test' },
      netns: lab.names.ns.dut, taps: lab.names.taps, transcript: `/tmp/hil-engine-test-${process.pid}.log`, bootTimeoutMs: 60_000, commandTimeoutMs: 20_000,
    }));
    await lab.wireHosts();
    const p = new DefaultPlatform({ entries: 64, hwTcOffload: true });
    await p.configureNetwork(dut.shell);
    await p.applyOffload(dut.shell, { mode: 'hw', forwardCounter: false });
  }, 120_000);

  afterAll(async () => {
    await dut?.stop();
    await lab?.destroy();
    expect(await leftovers()).toEqual([]);
  });

  it('a port that is not Ethernet, or already taken, is refused with a reason', async () => {
    const r = await sh('/usr/sbin/ip link add link lo name bad0 type hilsoc');
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/hilsoc sits on an Ethernet NIC/);
    const taken = await sh('/usr/sbin/ip link add link eth0 name lan9 type hilsoc');
    expect(taken.stderr).toMatch(/already has an upper/);
  });

  it('deleting a port and unloading the module under hardware-offloaded traffic: no warning, no oops', async () => {
    const srv = hostNs('wan', 'iperf3 -s -1 -p 5301');
    await new Promise((r) => setTimeout(r, 300));
    const client = hostNs('lan', 'iperf3 -c 10.99.0.1 -p 5301 -t 4');
    // Wait until the engine really carries the flow.
    let hits = 0;
    for (let i = 0; i < 40 && hits < 1000; i++) {
      await new Promise((r) => setTimeout(r, 100));
      hits = parseEngineStats((await sh('/usr/sbin/ethtool -S lan0')).stdout)?.hits ?? 0;
    }
    expect(hits).toBeGreaterThanOrEqual(1000);
    expect((await sh('grep -c HW_OFFLOAD /proc/net/nf_conntrack')).stdout.trim()).not.toBe('0');
    expect((await sh('/usr/sbin/ip link del lan0')).exitCode).toBe(0);
    const rm = await sh('/sbin/rmmod hil_offload');
    expect(rm.exitCode, rm.stderr).toBe(0);
    expect((await sh('/usr/sbin/ip -br link show type hilsoc')).stdout.trim()).toBe('');
    // iperf3 spins rather than exits once its path is gone, and ignores SIGTERM.
    client.kill('SIGKILL');
    srv.kill('SIGKILL');
    await Promise.allSettled([client, srv]);
    expect(await trouble()).toEqual([]);
    // The module comes back and works again.
    expect((await sh('/sbin/modprobe hil_offload entries=2 && /usr/sbin/ip link add link eth0 name lan0 type hilsoc && /usr/sbin/ethtool -S lan0')).stdout).toMatch(/engine_capacity: 2/);
  }, 60_000);
});
