import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pty from '@lydell/node-pty';
import { describe, expect, it } from 'vitest';

// The child runs the built code (dist/, as bin/hil.js does): a terminal needs a process of its own.
const child = new URL('../fixtures/hung-up-terminal.mjs', import.meta.url).pathname;

async function closeTerminalUnder(out: string): Promise<void> {
  const p = pty.spawn(process.execPath, [child, out], { cols: 80, rows: 24 });
  let screen = '';
  p.onData((d) => (screen += d));
  const exited = new Promise<void>((r) => p.onExit(() => r()));
  const end = Date.now() + 10_000;
  while (!screen.includes('joined') && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  expect(screen).toContain('joined');
  // Console output is still streaming to it: the next write fails (EIO), often before SIGHUP is handled.
  await new Promise((r) => setTimeout(r, 100));
  p.destroy();
  await exited;
}

describe('stop signals', () => {
  it('a terminal closed under a joined console: the process lives on to finish its teardown, told by SIGHUP', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hil-hup-'));
    // Before the guard, 20 of 20 such children died of an unhandled EIO write.
    for (let i = 0; i < 5; i++) {
      const out = join(dir, `${i}.json`);
      await closeTerminalUnder(out);
      expect(existsSync(out), `child ${i} died before its teardown ended`).toBe(true);
      const { how, seen } = JSON.parse(readFileSync(out, 'utf8'));
      expect(how).toBe('closed');
      // The hang-up may come more than once (as session leader and as the foreground group).
      expect(new Set(seen)).toEqual(new Set(['SIGHUP']));
    }
  }, 60_000);
});
