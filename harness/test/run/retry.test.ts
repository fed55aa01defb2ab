import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ScenarioReport, Status } from '../../src/report/types.js';
import { withRetries } from '../../src/run/retry.js';

let dir: string;
afterEach(() => rm(dir, { recursive: true, force: true }));

/** A scenario run that writes its transcript as a real run does and ends with the next status. */
function scripted(statuses: Status[]) {
  let n = 0;
  return async (): Promise<ScenarioReport> => {
    const status = statuses[n++]!;
    await mkdir(join(dir, 's'), { recursive: true });
    const transcript = join(dir, 's', 'console.log');
    await writeFile(transcript, `run ${n}\n`);
    return {
      name: 's', file: 's.yaml', status, durationMs: 1, accel: null, boot: null, transcript,
      offload: { requested: 'sw', effective: null, fallback: false, warning: null, kernelError: null },
      flows: [], traffic: [], timeline: [], kernelLog: { trouble: [] }, steps: [],
      assertions: status === 'failed' ? [{ name: 'flows.state', passed: false, expected: 'sw', actual: 'none' }] : [],
      reason: status === 'error' ? 'boot timed out' : undefined,
    };
  };
}

describe('withRetries', () => {
  it('a pass after failures is flaky; each attempt keeps its own transcript', async () => {
    dir = await mkdtemp(join(tmpdir(), 'hil-retry-'));
    const notes: string[] = [];
    const r = await withRetries(scripted(['error', 'failed', 'passed']), 3, new AbortController().signal, (t) => notes.push(t));
    expect(r.status).toBe('passed');
    expect(r.flaky).toBe(true);
    expect(r.attempts!.map((a) => a.status)).toEqual(['error', 'failed', 'passed']);
    expect(r.attempts![1]!.reason).toBe('flows.state: expected sw; actual none');
    expect(await readFile(r.attempts![0]!.transcript!, 'utf8')).toBe('run 1\n');
    expect(await readFile(r.attempts![1]!.transcript!, 'utf8')).toBe('run 2\n');
    expect(await readFile(r.transcript!, 'utf8')).toBe('run 3\n');
    expect(notes).toEqual(['attempt 1 error (boot timed out); retry 1 of 3', 'attempt 2 failed (flows.state: expected sw; actual none); retry 2 of 3']);
  });

  it('stops after the retries and stays failed, not flaky', async () => {
    dir = await mkdtemp(join(tmpdir(), 'hil-retry-'));
    const r = await withRetries(scripted(['failed', 'failed', 'passed']), 1, new AbortController().signal, () => {});
    expect(r.status).toBe('failed');
    expect(r.flaky).toBe(false);
    expect(r.attempts).toHaveLength(2);
  });

  it('a first pass, or no retries, leaves the report as it was', async () => {
    dir = await mkdtemp(join(tmpdir(), 'hil-retry-'));
    expect((await withRetries(scripted(['passed']), 2, new AbortController().signal, () => {})).attempts).toBeUndefined();
    expect((await withRetries(scripted(['failed']), 0, new AbortController().signal, () => {})).attempts).toBeUndefined();
  });

  it('never retries once the run is interrupted', async () => {
    dir = await mkdtemp(join(tmpdir(), 'hil-retry-'));
    const ac = new AbortController();
    ac.abort('SIGINT');
    const r = await withRetries(scripted(['error', 'passed']), 2, ac.signal, () => {});
    expect(r.status).toBe('error');
    expect(r.attempts).toBeUndefined();
  });
});
