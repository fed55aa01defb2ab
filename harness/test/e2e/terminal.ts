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

/**
 * At `hil shell`'s DUT prompt, as a person on a router's console: Ctrl-C ends a running
 * ping and gives the prompt back, Ctrl-Z stops one into a job. Returns what the screen showed.
 */
export async function checkJobControl(t: ReturnType<typeof onTerminal>): Promise<string> {
  await t.waitFor(/this terminal is the DUT console/, 0, 300_000);
  t.p.write('\r');
  let at = await t.waitFor(/dut# /);
  t.p.write('ping 10.99.0.1\r');
  at = await t.waitFor(/bytes from 10\.99\.0\.1[\s\S]*bytes from 10\.99\.0\.1/, at, 20_000);
  t.p.write('\x03');
  at = await t.waitFor(/packet loss[\s\S]*dut# /, at, 10_000);
  t.p.write('ping 10.99.0.1\r');
  at = await t.waitFor(/bytes from 10\.99\.0\.1/, at, 20_000);
  t.p.write('\x1a');
  at = await t.waitFor(/Stopped +ping 10\.99\.0\.1[\s\S]*dut# /, at, 10_000);
  t.p.write('kill %1\r');
  await t.waitFor(/dut# /, at, 10_000);
  return t.screen();
}
