import { join } from 'node:path';
import pty from '@lydell/node-pty';

const root = new URL('../../../', import.meta.url).pathname;
const hilJs = join(root, 'harness/bin/hil.js');

/** A hil command on a real pseudo-terminal, read as a person would see it. */
export function onTerminal(args: string[], env: Record<string, string> = {}) {
  const p = pty.spawn(process.execPath, [hilJs, ...args], { cols: 160, rows: 40, cwd: root, env: { ...process.env, TERM: 'xterm', ...env } as Record<string, string> });
  let screen = '';
  p.onData((d) => (screen += d));
  const exited = new Promise<number>((r) => p.onExit((e) => r(e.exitCode)));
  const waitFor = async (re: RegExp, from = 0, ms = 60_000) => {
    const end = Date.now() + ms;
    while (!re.test(screen.slice(from))) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${re}; screen:\n${screen.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return screen.length;
  };
  return { p, exited, waitFor, screen: () => screen };
}
