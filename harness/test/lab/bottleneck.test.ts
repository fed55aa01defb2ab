import { describe, expect, it } from 'vitest';
import { tbfArgs } from '../../src/lab/lab.js';

describe('the modem bottleneck', () => {
  it('queues bufferMs of the rate', () => {
    expect(tbfArgs({ bitsPerSecond: 40e6, bufferMs: 100 })).toEqual(['tbf', 'rate', '40000000bit', 'burst', '20000', 'limit', '500000']);
  });
  it('never gives a bucket smaller than two full frames', () => {
    expect(tbfArgs({ bitsPerSecond: 1e5, bufferMs: 1 })).toEqual(['tbf', 'rate', '100000bit', 'burst', '3028', 'limit', '3028']);
  });
});
