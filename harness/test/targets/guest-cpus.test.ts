import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { describeVcpus, parseVcpus } from '../../src/targets/guest-cpus.js';

// Captured from QEMU 7.2 (harness/test/fixtures/capture-guest-cpus.mjs): a two-vCPU guest
// whose init only sleeps, silent; one vCPU was in the kernel's code, the other idle in HLT.
const fixture = readFileSync(new URL('../fixtures/qmp-info-registers-2cpu.txt', import.meta.url), 'utf8');

describe('where QEMU has a silent guest', () => {
  it('reads each vCPU\'s instruction pointer, privilege level and halt state', () => {
    expect(parseVcpus(fixture)).toEqual([
      { index: 0, rip: 'ffffffff819f77a3', cpl: 0, halted: false },
      { index: 1, rip: 'ffffffff8103fc9b', cpl: 0, halted: true },
    ]);
  });

  it('says it in one line', () => {
    expect(describeVcpus('running', parseVcpus(fixture))).toBe('QEMU says the guest is running; vCPU 0 running at ffffffff819f77a3 (kernel); vCPU 1 halted at ffffffff8103fc9b (kernel)');
    expect(describeVcpus('paused', [{ index: 0, rip: '00007f0000001000', cpl: 3, halted: false }])).toBe('QEMU says the guest is paused; vCPU 0 running at 00007f0000001000 (user)');
  });

  it('leaves out what another architecture\'s monitor prints differently', () => {
    expect(parseVcpus('CPU#0\n PC=ffff800010001000 X00=0000000000000000\n')).toEqual([]);
    expect(parseVcpus('')).toEqual([]);
  });
});
