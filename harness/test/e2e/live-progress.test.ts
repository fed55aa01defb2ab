import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pty from '@lydell/node-pty';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { leftovers } from './leftovers.js';

const root = new URL('../../../', import.meta.url).pathname;
const hil = join(root, 'harness/bin/hil.js');
const env = () => Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'CI')) as Record<string, string>;

describe('progress output', () => {
  it('on a terminal: a live block redrawn in place, then the summary; in a pipe: plain lines without escapes', async () => {
    const args = ['run', 'scenarios/sw-offload.yaml', '--out', mkdtempSync(join(tmpdir(), 'hil-e2e-live-'))];
    const p = pty.spawn(process.execPath, [hil, ...args], { cols: 120, rows: 40, cwd: root, env: { ...env(), TERM: 'xterm' } });
    let screen = '';
    p.onData((d) => (screen += d));
    const code = await new Promise<number>((res) => p.onExit((e) => res(e.exitCode)));
    expect(code, screen).toBe(0);
    expect(screen).toMatch(/sw-offload: traffic \(\d+\.\d s\)/);
    expect(screen).toMatch(/\x1b\[\d+F\x1b\[0J/);
    expect(screen).toMatch(/sw-offload: PASSED/);
    expect(screen).toMatch(/1 passed, 0 failed/);

    const piped = await execa(process.execPath, [hil, ...args.slice(0, 2), '--out', mkdtempSync(join(tmpdir(), 'hil-e2e-live-'))], { cwd: root, env: env(), reject: false });
    expect(piped.exitCode).toBe(0);
    expect(piped.stderr).toMatch(/^ {2}sw-offload \[\d+\.\d+s\] traffic$/m);
    expect(piped.stderr).not.toMatch(/\x1b\[/);
    expect(await leftovers()).toEqual([]);
  }, 120_000);
});
