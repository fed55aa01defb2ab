import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { namespaceHosts } from '../../src/lab/hosts.js';
import type { LabNames } from '../../src/lab/names.js';
import { runIperf3 } from '../../src/traffic/iperf3.js';
import { trafficSchema } from '../../src/scenario/schema.js';
import { exec, execOk } from '../../src/util/exec.js';
import { hostAddr } from '../../src/lab/addressing.js';

// Two namespaces of this test's own, linked, with the LAN side's IPv6 route pointing at a
// router that is not there: neighbour discovery never answers, as it did through the
// simulated engine before its ports passed multicast to their NICs.
const id = `hilt${process.pid}`;
const names = { ns: { lan: `${id}-lan`, wan: `${id}-wan`, dut: `${id}-dut` } } as unknown as LabNames;

describe.skipIf(process.getuid?.() !== 0)('iperf3 through a path that cannot connect', () => {
  beforeAll(async () => {
    for (const ns of [names.ns.lan, names.ns.wan]) {
      await execOk('ip', ['netns', 'add', ns]);
      await execOk('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    }
    await execOk('ip', ['-n', names.ns.lan, 'link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1', 'netns', names.ns.wan]);
    await execOk('ip', ['-n', names.ns.lan, 'link', 'set', 'v0', 'up']);
    await execOk('ip', ['-n', names.ns.wan, 'link', 'set', 'v1', 'up']);
    await execOk('ip', ['-n', names.ns.lan, 'addr', 'add', 'fd00:1::2/64', 'dev', 'v0', 'nodad']);
    await execOk('ip', ['-n', names.ns.lan, '-6', 'route', 'add', 'default', 'via', 'fd00:1::1']);
    await execOk('ip', ['-n', names.ns.wan, 'addr', 'add', 'fd00:99::1/64', 'dev', 'v1', 'nodad']);
  });
  afterAll(async () => {
    for (const ns of [names.ns.lan, names.ns.wan]) await exec('ip', ['netns', 'del', ns]);
  });

  // A 60 s stream: without the server being stopped when the client fails, the run would
  // wait for the server's own timeout (90 s) and this test's timeout would fail it.
  it('fails the stream with the client\'s reason and stops the waiting server', async () => {
    const spec = trafficSchema.parse({ proto: 'tcp', family: 'ipv6', duration: 60 });
    const r = await runIperf3(namespaceHosts(names), names, spec, 5391, performance.now(), new AbortController().signal);
    expect(r.client.error).toMatch(/unable to connect to server: No route to host/);
    expect(r.server.error).toMatch(/interrupt/);
    const left = await exec('ip', ['netns', 'pids', names.ns.wan]);
    expect(left.stdout.trim()).toBe('');
  }, 30_000);
});

// Two namespaces on one link, the WAN host's address on one side and the LAN host's on the
// other: iperf3 as the lab runs it, without a router between.
const id2 = `hils${process.pid}`;
const direct = { ns: { lan: `${id2}-lan`, wan: `${id2}-wan`, dut: `${id2}-dut` } } as unknown as LabNames;

describe.skipIf(process.getuid?.() !== 0)('a stream the harness stops early', () => {
  beforeAll(async () => {
    for (const ns of [direct.ns.lan, direct.ns.wan]) {
      await execOk('ip', ['netns', 'add', ns]);
      await execOk('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    }
    await execOk('ip', ['-n', direct.ns.lan, 'link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1', 'netns', direct.ns.wan]);
    await execOk('ip', ['-n', direct.ns.lan, 'link', 'set', 'v0', 'up']);
    await execOk('ip', ['-n', direct.ns.wan, 'link', 'set', 'v1', 'up']);
    await execOk('ip', ['-n', direct.ns.lan, 'addr', 'add', '10.99.0.2/24', 'dev', 'v0']);
    await execOk('ip', ['-n', direct.ns.wan, 'addr', 'add', `${hostAddr('wan', 'ipv4')}/24`, 'dev', 'v1']);
  });
  afterAll(async () => {
    for (const ns of [direct.ns.lan, direct.ns.wan]) await exec('ip', ['netns', 'del', ns]);
  });

  it.each([['tcp', 'upload'], ['udp', 'download']] as const)('%s %s: ends when told, with both halves measured and why', async (proto, direction) => {
    const spec = trafficSchema.parse({ proto, direction, duration: 30, ...(proto === 'udp' && { bitrate: '20M' }) });
    const stop = new AbortController();
    let started: number | undefined;
    const t0 = performance.now();
    const run = runIperf3(namespaceHosts(direct), direct, spec, 5392, t0, new AbortController().signal, { stop: stop.signal, onStart: (ms) => (started = ms) });
    await new Promise((r) => setTimeout(r, 1500));
    expect(started).toBeDefined();
    stop.abort('expectations decided');
    const r = await run;
    expect(r.client.error).toBeUndefined();
    expect(r.end).toMatchObject({ by: 'decided', why: 'expectations decided' });
    expect(r.end.atMs).toBeGreaterThan(1000);
    expect(r.endedAtMs).toBeLessThan(10_000);
    expect(r.client.bytesSent).toBeGreaterThan(0);
    expect(r.client.bytesReceived).toBeGreaterThan(0);
    expect(r.client.bitsPerSecond).toBeGreaterThan(0);
    // Drained before the ends stopped: what was sent arrived (UDP: less what the path dropped).
    expect(r.client.bytesReceived / r.client.bytesSent).toBeGreaterThan(proto === 'tcp' ? 0.999 : 0.9);
    expect((await exec('ip', ['netns', 'pids', direct.ns.wan])).stdout.trim()).toBe('');
  }, 30_000);

  // The link is down from the stop on, for longer than the harness waits for the
  // sender's queue: stopped anyway, the queue would cross the slow path after the receiver's RST.
  it('a stop whose sender cannot drain its queue is given up: the stream runs its duration, and says why', async () => {
    const spec = trafficSchema.parse({ proto: 'tcp', duration: 7 });
    const stop = new AbortController();
    const run = runIperf3(namespaceHosts(direct), direct, spec, 5394, performance.now(), new AbortController().signal, { stop: stop.signal });
    await new Promise((r) => setTimeout(r, 1500));
    await execOk('ip', ['-n', direct.ns.lan, 'link', 'set', 'v0', 'down']);
    try {
      stop.abort('expectations decided');
      await new Promise((r) => setTimeout(r, 3500));
    } finally {
      await execOk('ip', ['-n', direct.ns.lan, 'link', 'set', 'v0', 'up']);
    }
    const r = await run;
    expect(r.client.error).toBeUndefined();
    expect(r.end).toMatchObject({ by: 'duration', why: expect.stringMatching(/^ran its full duration \(7 s\); the stop at 1\.\d s was given up: \d+ bytes were still in the sender's queue after 3 s$/) });
    expect(r.client.bytesReceived).toBeGreaterThan(0);
  }, 30_000);

  it('a stream never told to stop runs its duration and says so', async () => {
    const spec = trafficSchema.parse({ proto: 'tcp', duration: 1 });
    const r = await runIperf3(namespaceHosts(direct), direct, spec, 5393, performance.now(), new AbortController().signal, { stop: new AbortController().signal });
    expect(r.end).toMatchObject({ by: 'duration', why: 'ran its full duration (1 s)' });
    expect(r.client.error).toBeUndefined();
  }, 30_000);
});
