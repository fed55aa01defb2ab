import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { normalizeIp, parseConntrack, parseCtLine } from '../../src/probes/conntrack.js';

const fx = (n: string) => readFileSync(new URL(`../fixtures/${n}`, import.meta.url), 'utf8');

describe('conntrack parser', () => {
  it('reads offloaded NATed IPv4 entries from /proc/net/nf_conntrack', () => {
    const e = parseConntrack(fx('proc-nf_conntrack-offloaded.txt'));
    expect(e).toHaveLength(6);
    // the iperf3 data stream is the big one on 5201; the small one is its control connection
    const data = e.filter((x) => x.orig.dport === 5201).sort((a, b) => b.packets.orig! - a.packets.orig!)[0]!;
    expect(data).toMatchObject({
      family: 'ipv4', proto: 'tcp', state: 'sw', timeout: undefined, tcpState: undefined,
      orig: { src: '192.168.1.2', dst: '10.99.0.1', sport: 56906, dport: 5201 },
      // the reply tuple carries the masqueraded WAN address of the DUT
      reply: { src: '10.99.0.1', dst: '10.99.0.2', sport: 5201, dport: 56906 },
      packets: { orig: 6095, reply: 5168 },
    });
  });

  it('normalises /proc zero-padded IPv6 and conntrack -L compressed IPv6 to the same form', () => {
    const proc = parseConntrack(fx('proc-nf_conntrack-offloaded.txt')).filter((x) => x.family === 'ipv6');
    const cli = parseConntrack(fx('conntrack-L-offloaded.txt')).filter((x) => x.family === 'ipv6');
    expect(proc.map((x) => x.orig)).toEqual(cli.map((x) => x.orig));
    expect(proc[0]!.orig.src).toBe('fd00:1::2');
    expect(proc[0]!.reply.dst).toBe('fd00:1::2');
  });

  it('reads conntrack -L lines, which have no family column', () => {
    const e = parseConntrack(fx('conntrack-L-offloaded.txt'));
    expect(e).toHaveLength(6);
    expect(e.every((x) => x.state === 'sw')).toBe(true);
    expect(e.find((x) => x.proto === 'udp')).toMatchObject({ family: 'ipv4', orig: { dport: 5203 }, packets: { reply: 1 } });
  });

  it('reads slow-path entries with timeout and TCP state, and sees no offload there', () => {
    const e = parseConntrack(fx('proc-nf_conntrack-slowpath.txt'));
    const est = e.find((x) => x.orig.sport === 45458)!;
    expect(est).toMatchObject({ state: 'none', timeout: 299, tcpState: 'ESTABLISHED', flags: ['ASSURED'] });
    expect(e.find((x) => x.orig.sport === 56906)!.tcpState).toBe('CLOSE');
    expect(e.every((x) => x.state === 'none')).toBe(true);
    // deleting the flowtable handed the UDP flow back to the slow path: a timeout again, no flags
    expect(e.find((x) => x.proto === 'udp')).toMatchObject({ state: 'none', timeout: 88, flags: [] });
  });

  it('maps [HW_OFFLOAD] to hw', () => {
    const line = fx('conntrack-L-offloaded.txt').split('\n')[0]!.replace('[OFFLOAD]', '[HW_OFFLOAD]');
    expect(parseCtLine(line)!.state).toBe('hw');
  });

  it('ignores lines that are not entries', () => {
    expect(parseConntrack('conntrack v1.4.7 (conntrack-tools): 6 flow entries have been shown.\n\n')).toEqual([]);
    expect(normalizeIp('10.0.0.1')).toBe('10.0.0.1');
  });
});
