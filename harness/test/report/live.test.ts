import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { wantsLive } from '../../src/report/console.js';
import { LiveBlock } from '../../src/report/live.js';

function sink() {
  const s = new PassThrough();
  let text = '';
  s.on('data', (c) => (text += c));
  return { s, text: () => text };
}

describe('LiveBlock', () => {
  it('redraws one line per running scenario in place; lasting lines go above; stop clears it', () => {
    const o = sink();
    const b = new LiveBlock(o.s, () => 80);
    b.step('sw-offload', 'boot');
    b.step('hw-offload', 'traffic');
    const afterSteps = o.text();
    // The second draw first moved up over the one line drawn before and erased it.
    expect(afterSteps).toMatch(/sw-offload: boot \(0\.0 s\)\n\x1b\[1F\x1b\[0J.*sw-offload: boot.*\n.*hw-offload: traffic/s);
    b.print('  sw-offload: PASSED', 'sw-offload');
    const printed = o.text().slice(afterSteps.length);
    expect(printed).toMatch(/^\x1b\[2F\x1b\[0J  sw-offload: PASSED\n.*hw-offload: traffic/s);
    expect(printed).not.toMatch(/sw-offload: boot/);
    b.stop();
    expect(o.text().endsWith('\x1b[1F\x1b[0J')).toBe(true);
  });

  it('cuts lines to the terminal width', () => {
    const o = sink();
    const b = new LiveBlock(o.s, () => 30);
    b.step('a-scenario-with-a-long-name', 'configure', 'applying the firewall with a long detail');
    b.stop();
    const line = o.text().split('\n')[0]!.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
    expect(line.length).toBeLessThanOrEqual(29);
  });
});

describe('wantsLive', () => {
  const tty = Object.assign(new PassThrough(), { isTTY: true });
  it('only on a terminal, and never under CI or TERM=dumb', () => {
    expect(wantsLive(tty, {})).toBe(true);
    expect(wantsLive(tty, { CI: 'true' })).toBe(false);
    expect(wantsLive(tty, { TERM: 'dumb' })).toBe(false);
    expect(wantsLive(new PassThrough(), {})).toBe(false);
  });
});
