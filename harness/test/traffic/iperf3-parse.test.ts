import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseIperf3, stoppedResult } from '../../src/traffic/iperf3-parse.js';

const fx = (n: string) => readFileSync(new URL(`../fixtures/${n}`, import.meta.url), 'utf8');

describe('an iperf3 test ended early by SIGINT', () => {
  it('reads as an error on its own: each side knows only its half', () => {
    const c = parseIperf3(fx('iperf3-stopped-tcp-upload-client.json'));
    expect(c.error).toBe('interrupt - the client has terminated');
    expect(c.bytesReceived).toBe(0);
  });

  it('a TCP upload: sent from the client, received from the server, the rate over the client\'s time', () => {
    const r = stoppedResult(fx('iperf3-stopped-tcp-upload-client.json'), fx('iperf3-stopped-tcp-upload-server.json'), 'upload');
    expect(r.error).toBeUndefined();
    expect(r.streams).toHaveLength(1);
    expect(r.bytesSent).toBe(4022599680);
    expect(r.bytesReceived).toBe(4020043723);
    expect(r.bitsPerSecond).toBeCloseTo((4020043723 * 8) / 2.298721, 0);
    expect(r.intervals.length).toBeGreaterThanOrEqual(2);
  });

  it('a UDP download: the server sent, the client received', () => {
    const r = stoppedResult(fx('iperf3-stopped-udp-download-client.json'), fx('iperf3-stopped-udp-download-server.json'), 'download');
    expect(r.error).toBeUndefined();
    expect(r.protocol).toBe('udp');
    expect(r.bytesSent).toBe(2883584);
    expect(r.bytesReceived).toBe(2883584);
    expect(r.bitsPerSecond).toBeGreaterThan(9e6);
    expect(r.bitsPerSecond).toBeLessThan(11e6);
  });

  it('says so when the server\'s half is unreadable', () => {
    const r = stoppedResult(fx('iperf3-stopped-tcp-upload-client.json'), 'iperf3: killed', 'upload');
    expect(r.error).toMatch(/server's JSON is unreadable: iperf3: killed/);
  });
});
