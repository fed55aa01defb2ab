import { appendFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { leftovers } from './leftovers.js';

// What another run on the same machine holds is not this suite's leak: a namespace of a lab
// not in the journal, and an iperf3 without the journal in its environment, are left alone.
describe.skipIf(process.getuid?.() !== 0)('leak checks look at this suite\'s labs only', () => {
  const saved = process.env.HIL_LAB_JOURNAL;
  const id = `f${process.pid.toString(16).slice(-5)}z`;
  const ns = `hil-${id}-dut`;
  const kill: (() => void)[] = [];
  afterEach(async () => {
    process.env.HIL_LAB_JOURNAL = saved;
    for (const k of kill.splice(0)) k();
    await execa('ip', ['netns', 'del', ns], { reject: false });
  });

  it('a foreign lab\'s namespace and iperf3 are not leaks; journalled, they are', async () => {
    const journal = join(mkdtempSync(join(tmpdir(), 'hil-leak-scope-')), 'journal');
    appendFileSync(journal, 'someotherlab\n');
    process.env.HIL_LAB_JOURNAL = journal;
    await execa('ip', ['netns', 'add', ns]);
    const foreign = execa('iperf3', ['-s', '-p', '5397'], { env: { HIL_LAB_JOURNAL: '/elsewhere' }, reject: false });
    kill.push(() => foreign.kill('SIGKILL'));
    await new Promise((r) => setTimeout(r, 300));
    expect((await leftovers()).filter((l) => l.includes(id) || l.includes('5397'))).toEqual([]);

    const own = execa('iperf3', ['-s', '-p', '5398'], { reject: false });
    kill.push(() => own.kill('SIGKILL'));
    appendFileSync(journal, `${id}\n`);
    await new Promise((r) => setTimeout(r, 300));
    const left = await leftovers();
    expect(left).toContain(ns);
    expect(left.some((l) => /^process \d+ iperf3 -s -p 5398$/.test(l))).toBe(true);
    expect(left.some((l) => l.includes('5397'))).toBe(false);
  });
});
