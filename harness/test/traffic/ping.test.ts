import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostAddr } from '../../src/lab/addressing.js';
import { namespaceHosts } from '../../src/lab/hosts.js';
import type { LabNames } from '../../src/lab/names.js';
import { LatencyProbe } from '../../src/traffic/ping.js';
import { exec, execOk } from '../../src/util/exec.js';

// Two namespaces of this test's own on one link, the WAN host's address on one side: the
// probe pings it as it would through a DUT.
const id = `hilp${process.pid}`;
const names = { ns: { lan: `${id}-lan`, wan: `${id}-wan`, dut: `${id}-dut` } } as unknown as LabNames;

describe.skipIf(process.getuid?.() !== 0)('the latency probe', () => {
  beforeAll(async () => {
    for (const ns of [names.ns.lan, names.ns.wan]) {
      await execOk('ip', ['netns', 'add', ns]);
      await execOk('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    }
    await execOk('ip', ['-n', names.ns.lan, 'link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1', 'netns', names.ns.wan]);
    await execOk('ip', ['-n', names.ns.lan, 'link', 'set', 'v0', 'up']);
    await execOk('ip', ['-n', names.ns.wan, 'link', 'set', 'v1', 'up']);
    await execOk('ip', ['-n', names.ns.lan, 'addr', 'add', '10.99.0.2/24', 'dev', 'v0']);
    await execOk('ip', ['-n', names.ns.wan, 'addr', 'add', `${hostAddr('wan', 'ipv4')}/24`, 'dev', 'v1']);
  });
  afterAll(async () => {
    for (const ns of [names.ns.lan, names.ns.wan]) await exec('ip', ['netns', 'del', ns]);
  });

  it('gives its idle and under-load figures while it runs, and the same windows when stopped', async () => {
    const probe = new LatencyProbe(namespaceHosts(names), 100);
    probe.start();
    try {
      await new Promise((r) => setTimeout(r, 1000));
      const start = Date.now();
      expect(probe.sofar(start, 0).loaded.samples).toBe(0);
      await new Promise((r) => setTimeout(r, 1000));
      const live = probe.sofar(start, 200);
      expect(live.idle.samples).toBeGreaterThanOrEqual(7);
      expect(live.loaded.samples).toBeGreaterThanOrEqual(5);
      expect(live.loaded.medianMs).toBeGreaterThan(0);
      const end = Date.now();
      const r = await probe.stop(start, end, 200);
      // What was read live is what the report counts over the same windows (less a reply in flight).
      expect(r.idle.samples).toBe(live.idle.samples);
      expect(r.loaded.samples - live.loaded.samples).toBeLessThanOrEqual(1);
    } finally {
      await probe.kill();
    }
    expect((await exec('ip', ['netns', 'pids', names.ns.lan])).stdout.trim()).toBe('');
  }, 20_000);
});
