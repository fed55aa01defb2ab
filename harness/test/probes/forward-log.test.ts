import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { flowLog } from '../../src/expect/forward-log.js';
import type { FlowReport } from '../../src/expect/flows.js';
import { linesOf, parseForwardLog, type ForwardLogLine } from '../../src/probes/forward-log.js';
import { parseDmesg } from '../../src/probes/kernel-log.js';

const dmesg = parseDmesg(readFileSync(new URL('../fixtures/dmesg-forward-log.txt', import.meta.url), 'utf8'));

describe('forward-chain log lines (nf_log via `log prefix "hil-fwd: "`)', () => {
  const lines = parseForwardLog(dmesg)!;

  it('reads every line, timed from the traffic mark, IPv6 addresses in their short form', () => {
    expect(lines).toHaveLength(dmesg.filter((l) => l.text.startsWith('hil-fwd: ')).length);
    expect(lines[0]).toEqual({ tMs: 418, proto: 'tcp', src: 'fd00:1::2', dst: 'fd00:99::1', sport: 52130, dport: 5201, closing: false });
    expect(lines.every((l) => l.tMs > 0)).toBe(true);
  });

  it('a stream is both directions: replies are logged after de-NAT', () => {
    const t = { src: '192.168.1.2', dst: '10.99.0.1', sport: 35070, dport: 5201 };
    const mine = linesOf(lines, 'tcp', t);
    expect(mine).toHaveLength(40);
    expect(new Set(mine.map((l) => l.src))).toEqual(new Set(['192.168.1.2', '10.99.0.1']));
    expect(linesOf(lines, 'udp', t)).toHaveLength(0);
  });

  it('without the mark the lines cannot be timed: null, never zero lines', () => {
    expect(parseForwardLog(dmesg.filter((l) => !l.text.startsWith('hil: traffic')))).toBeNull();
  });
});

describe('a stream\'s lines once offloaded', () => {
  const orig = { src: '192.168.1.2', dst: '10.99.0.1', sport: 40000, dport: 5201 };
  const at = (tMs: number, closing = false): ForwardLogLine => ({ tMs, proto: 'tcp', ...orig, closing });
  const flow = (firstOffloadMs: number | null) => ({ proto: 'tcp', orig, firstOffloadMs }) as FlowReport;

  it('counts lines after the first offloaded sample, leaving out the close and what follows it', () => {
    const lines = [at(100), at(150), at(900), at(2900, true), at(2950)];
    expect(flowLog(flow(300), 3000, 50, lines)).toEqual({ lines: 5, linesWhileOffloaded: 1, linesPerSecond: 1 });
  });

  it('a stream never offloaded has no bound to meet', () => {
    expect(flowLog(flow(null), 2000, 0, [at(100), at(200)]).linesWhileOffloaded).toBeNull();
  });
});
