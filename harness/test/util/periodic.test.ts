import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { periodic } from '../../src/util/periodic.js';

// Fake timers: the schedule is checked on the mocked clock, never against wall-clock time.
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('periodic', () => {
  it('starts each tick an interval after the previous start, and ends when a tick says false', async () => {
    const starts: number[] = [];
    const p = periodic(100, async () => {
      starts.push(performance.now());
      await new Promise((r) => setTimeout(r, 30));
      return starts.length < 3;
    });
    await vi.advanceTimersByTimeAsync(1000);
    expect(starts.map((t) => t - starts[0]!)).toEqual([0, 100, 200]);
    await p.stop();
  });

  it('never runs two ticks at once: a tick longer than the interval is followed at once', async () => {
    const spans: [number, number][] = [];
    const p = periodic(50, async () => {
      const a = performance.now();
      await new Promise((r) => setTimeout(r, 120));
      spans.push([a, performance.now()]);
      return spans.length < 2;
    });
    await vi.advanceTimersByTimeAsync(1000);
    expect(spans.map(([a, b]) => [a - spans[0]![0], b - spans[0]![0]])).toEqual([[0, 120], [120, 240]]);
    await p.stop();
  });

  it('stop() cuts the wait short: it resolves with no timer advanced', async () => {
    let ticks = 0;
    const p = periodic(60_000, async () => {
      ticks++;
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(ticks).toBe(1);
    await p.stop();
    await vi.advanceTimersByTimeAsync(120_000);
    expect(ticks).toBe(1);
  });

  it('a tick that throws ends the loop; stop() rejects with it', async () => {
    let ticks = 0;
    const p = periodic(10, async () => {
      if (++ticks === 2) throw new Error('the DUT went away');
    });
    await vi.advanceTimersByTimeAsync(100);
    expect(ticks).toBe(2);
    await expect(p.stop()).rejects.toThrow('the DUT went away');
  });

  it('firstAfterMs puts off the first tick, then keeps the interval', async () => {
    const starts: number[] = [];
    const t0 = performance.now();
    const p = periodic(100, async () => {
      starts.push(performance.now() - t0);
      return starts.length < 2;
    }, 70);
    await vi.advanceTimersByTimeAsync(1000);
    expect(starts).toEqual([70, 170]);
    await p.stop();
  });

  it('stop() during the first wait ends the loop with no tick', async () => {
    let ticks = 0;
    const p = periodic(100, async () => {
      ticks++;
    }, 60_000);
    await vi.advanceTimersByTimeAsync(10);
    await p.stop();
    await vi.advanceTimersByTimeAsync(120_000);
    expect(ticks).toBe(0);
  });
});
