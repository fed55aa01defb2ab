import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDefaultImage } from '../../src/images/default-image.js';
import { kernelTrouble, parseDmesg, TX_TIMEOUT } from '../../src/probes/kernel-log.js';
import { loadProfile } from '../../src/targets/qemu-profile.js';
import { bootQemu, type QemuDut } from '../../src/targets/qemu.js';
import { leftovers } from './leftovers.js';

// A real QEMU whose LAN NIC's backend stops taking frames: the NIC is a stream socket to a
// listener here that never reads, so once the socket's buffer is full QEMU holds the guest's
// buffers and the guest's transmit queue times out, as a stalled lab NIC does. The rings are
// then read the way the harness reads them after a NETDEV WATCHDOG.
const work = mkdtempSync(join(tmpdir(), 'hil-e2e-txrings-'));
const sock = join(work, 'lan.sock');
const wrapper = join(work, 'qemu');
// The profile's QEMU, with the lab's taps swapped for a socket (LAN) and a lone hub port (WAN).
writeFileSync(wrapper, `#!/bin/sh
n=$#
while [ $n -gt 0 ]; do
  a=$1; shift; n=$((n - 1))
  case $a in
    tap,id=lan,*) a="stream,id=lan,server=off,addr.type=unix,addr.path=${sock}" ;;
    tap,id=wan,*) a="hubport,id=wan,hubid=0" ;;
  esac
  set -- "$@" "$a"
done
exec qemu-system-x86_64 "$@"
`);
chmodSync(wrapper, 0o755);

describe('QEMU\'s view of a NIC\'s transmit ring', () => {
  let dut: QemuDut;
  let server: Server;
  const peers: Socket[] = [];

  beforeAll(async () => {
    server = createServer((s) => {
      // Never read: the socket's buffer fills and QEMU's writes to it stop.
      s.pause();
      peers.push(s);
    });
    await new Promise<void>((r) => server.listen(sock, r));
    const profile = { ...(await loadProfile('x86-64')), binary: wrapper };
    dut = await bootQemu({
      name: `hil-txrings-${process.pid}`, profile, image: await loadDefaultImage(), accel: { accel: 'tcg', reason: 'test' },
      taps: { lan: 'unused', wan: 'unused' }, transcript: join(work, 'console.log'), bootTimeoutMs: 60_000, commandTimeoutMs: 20_000,
    });
  }, 120_000);

  afterAll(async () => {
    await dut?.stop();
    for (const p of peers) p.destroy();
    await new Promise((r) => server?.close(r));
    rmSync(work, { recursive: true, force: true });
    // No lab: this VM's own QEMU and QMP socket are what it could leave.
    expect(existsSync(dut.qmpSocket)).toBe(false);
    expect(() => process.kill(dut.console.pid, 0)).toThrow();
    expect(await leftovers()).toEqual([]);
  });

  it('idle: both rings drained, nothing held or left untaken, no fault', async () => {
    const rings = await dut.txRings!();
    expect(rings.map((r) => [r.role, r.state, r.fault, r.readings[1].inuse])).toEqual([['lan', 'drained', null, 0], ['wan', 'drained', null, 0]]);
  });

  it('a backend that stops taking frames: the guest logs a transmit timeout and the LAN ring reads as held by QEMU, a lab fault', async () => {
    const sh = (c: string) => dut.shell.run(c);
    // iproute2's ip by its path: the agent's busybox shell prefers its own applet, which has no `neigh replace`.
    await sh('ip link set eth0 up && ip addr add 10.250.0.1/24 dev eth0 && /usr/sbin/ip neigh replace 10.250.0.2 lladdr 02:00:00:00:00:02 nud permanent dev eth0');
    // Four senders: each socket's own send buffer holds ~140 unsent frames, the ring 256 slots.
    await sh('for i in 1 2 3 4; do (ping -q -s 1000 -i 0.005 -c 400 10.250.0.2 >/dev/null 2>&1 &); done');
    const deadline = Date.now() + 30_000;
    let trouble: string[] = [];
    while (Date.now() < deadline && !trouble.some((t) => t.includes(TX_TIMEOUT))) {
      await new Promise((r) => setTimeout(r, 1000));
      trouble = kernelTrouble(parseDmesg((await sh('dmesg')).stdout)).map((l) => l.text);
    }
    expect(trouble.find((t) => t.includes(TX_TIMEOUT))).toMatch(/eth0/);
    const [lan, wan] = await dut.txRings!();
    expect(lan).toMatchObject({ role: 'lan', state: 'held', fault: 'lab' });
    expect(lan!.readings[1].inuse).toBeGreaterThan(0);
    expect(lan!.text).toMatch(/QEMU took \d+ buffer\(s\) and has not handed them back/);
    expect(wan).toMatchObject({ role: 'wan', state: 'drained', fault: null });
  }, 60_000);
});
