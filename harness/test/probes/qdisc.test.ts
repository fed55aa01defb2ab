import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseQdiscs, qdiscDelta } from '../../src/probes/qdisc.js';

const fixture = (f: string) => readFileSync(new URL(`../fixtures/${f}`, import.meta.url), 'utf8');

describe('parseQdiscs', () => {
  it('reads cake roots on the WAN device and its ifb, not the ingress qdisc', () => {
    const q = parseQdiscs(fixture('tc-s-j-qdisc-cake.json'));
    expect(q.map((x) => `${x.dev}:${x.kind}`)).toEqual(['lo:noqueue', 'eth0:fq_codel', 'eth1:cake', 'ifb4eth1:cake']);
    const eth1 = q.find((x) => x.dev === 'eth1')!;
    expect(eth1).toMatchObject({ bytes: 10147120, packets: 8643, drops: 13, marks: 0, overlimits: 8141 });
    expect(q.find((x) => x.dev === 'ifb4eth1')!.drops).toBe(7);
  });

  it('takes an htb root with its fq_codel leaf as one shaper (the root already sums the leaf drops)', () => {
    const q = parseQdiscs(fixture('tc-s-j-qdisc-htb-fq_codel.json'));
    expect(q.find((x) => x.dev === 'eth1')).toMatchObject({ kind: 'htb', bytes: 5073673, packets: 539, drops: 25 });
    expect(q.find((x) => x.dev === 'ifb4eth1')).toMatchObject({ kind: 'htb', drops: 24 });
  });

  it('rejects output that is not a list', () => {
    expect(() => parseQdiscs('{}')).toThrow(/not a list/);
  });
});

describe('qdiscDelta', () => {
  const base = { dev: 'eth1', kind: 'cake', bytes: 100, packets: 10, drops: 1, marks: 0, overlimits: 5 };
  it('subtracts the earlier reading', () => {
    expect(qdiscDelta(base, { ...base, bytes: 600, packets: 60, drops: 4 })).toMatchObject({ bytes: 500, packets: 50, drops: 3 });
  });
  it('takes the later reading whole when the qdisc was replaced', () => {
    expect(qdiscDelta(base, { ...base, kind: 'htb', bytes: 50 }).bytes).toBe(50);
  });
});
