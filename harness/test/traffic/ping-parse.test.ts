import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parsePing, percentile } from '../../src/traffic/ping-parse.js';

const fixture = (f: string) => readFileSync(new URL(`../fixtures/${f}`, import.meta.url), 'utf8');

describe('parsePing', () => {
  it('reads replies with their -D timestamps and round trips', () => {
    const s = parsePing(fixture('ping-D-O-replies.txt'));
    expect(s).toHaveLength(3);
    expect(s.map((x) => x.seq)).toEqual([1, 2, 3]);
    expect(s.every((x) => x.rttMs !== null && x.rttMs > 0 && x.atMs > 1.7e12)).toBe(true);
  });
  it('counts "no answer yet" lines as losses', () => {
    const s = parsePing(fixture('ping-D-O-no-answer.txt'));
    expect(s).toEqual([
      { atMs: 1795566493359.711, seq: 1, rttMs: null },
      { atMs: 1795566493463.74, seq: 2, rttMs: null },
    ]);
  });
});

describe('percentile', () => {
  it('is nearest-rank', () => {
    expect(percentile([5, 1, 4, 2, 3], 50)).toBe(3);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95)).toBe(10);
    expect(percentile([], 50)).toBeNull();
  });
});
