import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
      netns: lab.names.ns.dut, taps: lab.names.taps, transcript: join(tmpdir(), `hil-engine-test-${process.pid}.log`), bootTimeoutMs: 60_000, commandTimeoutMs: 20_000,
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

  it('802.1Q: a flow through a VLAN on an engine port is matched by its tag, popped and pushed by the engine, not the stack', async () => {
    // The lab's hosts cannot speak 802.1Q (this host kernel has no VLAN support), so this
    // topology lives inside the DUT: two namespaces on veths, engine ports over the router's
    // ends, and VLAN 10 on the second port (and on the namespace across from it).
    const ip = '/usr/sbin/ip';
    const setup = [
      '/usr/sbin/nft flush ruleset',
      '/sbin/rmmod hil_offload',
      '/sbin/modprobe hil_offload entries=64',
      `${ip} netns add h1`, `${ip} netns add h2`,
      `${ip} link add v1 type veth peer name v1p`, `${ip} link set v1p netns h1`,
      `${ip} link add v2 type veth peer name v2p`, `${ip} link set v2p netns h2`,
      `${ip} link add link v1 name p1 type hilsoc`, `${ip} link add link v2 name p2 type hilsoc`,
      `${ip} link add link p2 name p2.10 type vlan id 10`,
      `for d in v1 v2 p1 p2 p2.10; do ${ip} link set $d up; done`,
      `${ip} addr add 10.71.0.1/24 dev p1`, `${ip} addr add 10.72.0.1/24 dev p2.10`,
      `${ip} -n h1 link set v1p up`, `${ip} -n h1 addr add 10.71.0.2/24 dev v1p`, `${ip} -n h1 route add default via 10.71.0.1`,
      `${ip} -n h2 link set v2p up`, `${ip} -n h2 link add link v2p name v2p.10 type vlan id 10`, `${ip} -n h2 link set v2p.10 up`,
      `${ip} -n h2 addr add 10.72.0.2/24 dev v2p.10`, `${ip} -n h2 route add default via 10.72.0.1`,
      'echo 1 > /proc/sys/net/ipv4/ip_forward',
    ].join(' && ');
    const r = await sh(setup);
    expect(r.exitCode, r.stderr).toBe(0);
    // fw4's own rendering, with the VLAN device as the zone device: the flowtable goes on p2.
    const conf = 'flow_offloading=1\nflow_offloading_hw=1\nlan_devices=p1\nwan_devices=p2.10\nflowtable_counter=1\n';
    const fw = await sh(`printf '${conf.replace(/\n/g, '\\n')}' > /tmp/vlan-fw && FW4_CONF=/tmp/vlan-fw /sbin/fw4 reload`);
    expect(fw.stderr).toBe('');
    const ft = (await sh('/usr/sbin/nft list flowtable inet fw4 ft')).stdout;
    expect(ft).toMatch(/devices = \{ p1, p2 \}/);
    expect(ft).toMatch(/flags offload/);
    const before = parseEngineStats((await sh('/usr/sbin/ethtool -S p1')).stdout)!;
    // busybox nc ends a connection when its own stdin ends: the listener's is kept open.
    await sh(`sleep 30 | ${ip} netns exec h2 nc -l -p 5000 2>/dev/null | wc -c > /tmp/vlan-rx &`);
    await new Promise((res) => setTimeout(res, 500));
    await sh(`${ip} netns exec h1 timeout 6 nc 10.72.0.2 5000 < /dev/zero >/dev/null 2>&1 &`);
    let seen = '';
    let hits = 0;
    for (let i = 0; i < 60 && !(seen && hits - before.hits >= 1000); i++) {
      await new Promise((res) => setTimeout(res, 200));
      seen ||= (await sh('grep "dport=5000" /proc/net/nf_conntrack | grep HW_OFFLOAD')).stdout;
      hits = parseEngineStats((await sh('/usr/sbin/ethtool -S p1')).stdout)!.hits;
    }
    expect(seen).toMatch(/\[HW_OFFLOAD\]/);
    expect(hits - before.hits).toBeGreaterThanOrEqual(1000);
    // The stack's VLAN device saw only the handshake before offload; the engine carried the rest, tags and all.
    const vlanDev = JSON.parse((await sh(`${ip} -s -j link show p2.10`)).stdout)[0].stats64;
    expect(vlanDev.rx.packets + vlanDev.tx.packets).toBeLessThan(200);
    // And it arrived whole, tagged: the receiver counted megabytes, not a stalled connection's first segments.
    let rx = '';
    for (let i = 0; i < 50 && !rx; i++) {
      await new Promise((res) => setTimeout(res, 200));
      rx = (await sh('cat /tmp/vlan-rx')).stdout.trim();
    }
    expect(Number(rx)).toBeGreaterThan(1_000_000);
    const far = JSON.parse((await sh(`${ip} -n h2 -s -j link show v2p.10`)).stdout)[0].stats64;
    expect(far.rx.packets).toBeGreaterThanOrEqual(1000);
    expect(await trouble()).toEqual([]);
    await sh(`pkill nc; ${ip} netns del h1; ${ip} netns del h2; ${ip} link del v1; ${ip} link del v2`);
  }, 90_000);
});

