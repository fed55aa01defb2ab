import { describe, expect, it } from 'vitest';
import { floodAssertions, summarizeRound, type FloodReport } from '../../src/expect/flood.js';
import { floodCountsCommand, parseFloodCounts } from '../../src/probes/flood.js';

describe('flood counts', () => {
  it('reads the four counts; grep -c prints 0 when nothing matched', () => {
    expect(parseFloodCounts('1536\n16384\n0\n0\n', 10)).toEqual({ tMs: 10, conntrack: 1536, conntrackMax: 16384, tracked: 0, offloaded: 0 });
  });
  it('refuses anything else, quoting it', () => {
    expect(() => parseFloodCounts('1536\ngrep: /proc/net/nf_conntrack: No such file\n', 0)).toThrow(/unexpected output "1536/);
  });
  it('counts the flood port in one read of the table', () => {
    expect(floodCountsCommand(6000)).toMatch(/grep ' dport=6000 ' \/proc\/net\/nf_conntrack > \/tmp\/\.hil-flood; grep -c \. \/tmp\/\.hil-flood; grep -c 'OFFLOAD\\\]' \/tmp\/\.hil-flood$/);
  });
});

const result = (answered: number) => ({ flows: 1000, flowsAnswered: answered, sent: 3000, answered: answered * 3, durationMs: 900, failures: [] });
const c = (tMs: number, tracked: number, offloaded: number, conntrack = tracked + 3) => ({ tMs, conntrack, conntrackMax: 1536, tracked, offloaded });

describe('flood rounds', () => {
  it('peak, time to half and nine tenths offloaded, and what the gap left', () => {
    const r = summarizeRound(1, result(1000), 100, [c(100, 0, 0), c(600, 700, 400), c(1100, 1000, 950), c(21000, 0, 0, 3)], 1000, c(21000, 0, 0, 3));
    expect(r).toMatchObject({ peakTracked: 1000, peakOffloaded: 950, halfOffloadedMs: 1000, mostOffloadedMs: 1000, leftAfterGap: 0, conntrackAfterGap: 3 });
  });

  it('a soak fails when a round leaves flows behind or offloads fewer than the first', () => {
    const round = (n: number, peak: number, left: number) => ({ ...summarizeRound(n, result(1000), 0, [c(1, 1000, peak)], 1000, c(2, left, 0)) });
    const report = (rounds: ReturnType<typeof round>[]): FloodReport => ({ config: { flows: 1000, packetsPerFlow: 3, concurrency: 128, rounds: rounds.length, roundGapS: 20 }, rounds, timeline: [] });
    const judge = (r: FloodReport) => floodAssertions({ maxLeftAfterGap: 0 }, r)[0]!;
    expect(judge(report([round(1, 1000, 0), round(2, 990, 0)])).passed).toBe(true);
    expect(judge(report([round(1, 1000, 0), round(2, 1000, 12)])).actual).toMatch(/round 2: 1000 offloaded, 12 left/);
    expect(judge(report([round(1, 1000, 0), round(2, 800, 0)])).passed).toBe(false);
  });

  it('conntrack full: the count reached the table size and flows went unanswered', () => {
    const full: FloodReport = { config: { flows: 1000, packetsPerFlow: 2, concurrency: 512, rounds: 1, roundGapS: 0 }, rounds: [summarizeRound(1, result(600), 0, [c(1, 1536, 1536, 1536)], 1000, undefined)], timeline: [c(1, 1536, 1536, 1536)] };
    expect(floodAssertions({ conntrackFull: true }, full)[0]!).toMatchObject({ passed: true, actual: expect.stringMatching(/peak nf_conntrack_count 1536 of max 1536; round 1: 600 of 1000 answered/) });
    expect(floodAssertions({ conntrackFull: false }, full)[0]!.passed).toBe(false);
  });

  it('conntrack reached its size, whatever became of the flows (6.12 evicts offloaded entries and answers them all)', () => {
    const timeline = [c(1, 1536, 1400, 1536), c(2, 1537, 1372, 1700)];
    const evicting: FloodReport = { config: { flows: 1000, packetsPerFlow: 2, concurrency: 512, rounds: 1, roundGapS: 0 }, rounds: [summarizeRound(1, result(1000), 0, timeline, 1000, undefined)], timeline };
    expect(floodAssertions({ conntrackReachedMax: true }, evicting)[0]!).toMatchObject({ passed: true, actual: 'peak nf_conntrack_count 1700 of max 1536' });
    expect(floodAssertions({ conntrackFull: true }, evicting)[0]!.passed).toBe(false);
    const roomy: FloodReport = { ...evicting, timeline: [c(1, 900, 900)] };
    expect(floodAssertions({ conntrackReachedMax: true }, roomy)[0]!.passed).toBe(false);
    expect(floodAssertions({ conntrackReachedMax: false }, roomy)[0]!.passed).toBe(true);
  });
});
