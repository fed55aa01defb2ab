import { describe, expect, it } from 'vitest';
import { flowStates, foldRepeats } from '../../src/report/fold.js';

describe('folding repeated states', () => {
  it('counts repeats in order of first appearance', () => {
    expect(foldRepeats(Array(64).fill('sw'))).toBe('64 × sw');
    expect(foldRepeats(['hw', 'sw', 'hw', 'hw'])).toBe('3 × hw, sw');
    expect(foldRepeats(['sw'])).toBe('sw');
    expect(foldRepeats([])).toBe('');
  });

  it('a scenario\'s flows by last state; an untracked stream says so; none: -', () => {
    const f = (state: string, matched = true) => ({ state, matched }) as never;
    expect(flowStates({ flows: [f('sw'), f('sw'), f('none', false)] })).toBe('2 × sw, untracked');
    expect(flowStates({ flows: [] })).toBe('-');
  });
});
