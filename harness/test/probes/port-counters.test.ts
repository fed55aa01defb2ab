import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseEthtoolStats } from '../../src/probes/port-counters.js';

const fixture = readFileSync(new URL('../fixtures/ethtool-S-virtio-net.txt', import.meta.url), 'utf8');

describe('ethtool -S', () => {
  it('reads every counter of a real virtio-net port, by its driver name', () => {
    const c = parseEthtoolStats(fixture);
    expect(c['rx_queue_0_packets']).toBe(0);
    expect(c['rx_queue_0_kicks']).toBe(1);
    expect(Object.keys(c)).toContain('tx_queue_0_tx_timeouts');
    expect(Object.keys(c).length).toBe(fixture.split('\n').filter((l) => /:\s+\d+$/.test(l)).length);
  });

  it('skips the header and lines that are not counters', () => {
    expect(parseEthtoolStats('NIC statistics:\n     ppe_hits: 42\nno stats here\n     bad: x\n')).toEqual({ ppe_hits: 42 });
  });
});
