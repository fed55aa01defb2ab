import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseLsmod } from '../../src/probes/lsmod.js';
import { kernelTrouble, parseDmesg } from '../../src/probes/kernel-log.js';

const fx = (n: string) => readFileSync(new URL(`../fixtures/${n}`, import.meta.url), 'utf8');

describe('lsmod and dmesg', () => {
  it('lists the offload modules with their users', () => {
    const m = parseLsmod(fx('lsmod.txt'));
    const names = m.map((x) => x.name);
    expect(names).toEqual(expect.arrayContaining(['nft_flow_offload', 'nf_flow_table_inet', 'nf_flow_table', 'nf_conntrack']));
    expect(m.find((x) => x.name === 'nf_flow_table')!.usedBy).toEqual(expect.arrayContaining(['nft_flow_offload']));
  });

  it('a clean boot log has no trouble; a warning line is trouble', () => {
    const lines = parseDmesg(fx('dmesg.txt'));
    expect(lines.length).toBeGreaterThan(50);
    expect(lines[0]!.time).toBe(0);
    expect(kernelTrouble(lines)).toEqual([]);
    expect(kernelTrouble(parseDmesg('[   12.000001] WARNING: CPU: 0 PID: 1 at net/netfilter/nf_flow_table_core.c:1 x\n'))).toHaveLength(1);
  });
});
