import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { repoRoot } from '../util/paths.js';
import type { DutConsole } from './types.js';

const ENTER = /Please press Enter to activate this console\./;
const PROMPT = /root@[^\s:]+:[^\n#]*# *$/;
const LOGIN = /(^|\n)[^\n]*login: *$/;
// A whole line: console output arrives in arbitrary chunks.
const PANIC = /Kernel panic - not syncing[^\n]*?(?=\r?\n)/;
const NO_BOOT = /UEFI Interactive Shell|Shell> *$|No bootable device|>>Start PXE over IPv[46]/;
const END = 'HIL_AGENT_EOF';

export class LoginError extends Error {}
/** The console said nothing the login waits for in time (QEMU may still be running the guest). */
export class LoginTimeoutError extends LoginError {}

export function waitFor(con: DutConsole, what: string, test: (buf: string) => string | undefined, deadline: number, signal?: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    let off = () => {};
    const done = (err?: Error, v?: string) => {
      clearTimeout(timer);
      off();
      signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve(v!);
    };
    const onAbort = () => done(new Error(`${what}: interrupted`));
    const timer = setTimeout(() => {
      const tail = buf.replace(/\r/g, '').trim().split('\n').pop() ?? '';
      done(new LoginTimeoutError(`${what} timed out; the console's last line: ${JSON.stringify(tail.slice(-120))}`));
    }, Math.max(0, deadline - performance.now()));
    signal?.addEventListener('abort', onAbort, { once: true });
    off = con.onData((d) => {
      buf = (buf + d).slice(-8192);
      const panic = PANIC.exec(buf);
      if (panic) return done(new LoginError(`the DUT kernel panicked while booting: ${panic[0]}`));
      try {
        const v = test(buf.replace(/\r/g, ''));
        if (v !== undefined) done(undefined, v);
      } catch (e) {
        done(e as Error);
      }
    });
    void con.exited.then(() => {
      const panic = /Kernel panic - not syncing[^\n\r]*/.exec(buf);
      const last = buf.replace(/\r/g, '').trim().split('\n').pop()?.trim();
      done(new LoginError(panic ? `the DUT kernel panicked while booting: ${panic[0]}` : `${what}: QEMU exited${last ? `: ${last.slice(-200)}` : ''}`));
    });
  });
}

/**
 * OpenWrt's console: procd asks "Please press Enter to activate this console.", then
 * root's shell starts without a password on a fresh image. The harness's agent is
 * written through that shell (a here-document; no base64 or file transfer needed) and
 * takes the console over; its banner is then awaited as on the default image.
 */
export async function openwrtLogin(con: DutConsole, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  await waitFor(con, 'waiting for "Please press Enter to activate this console."', (b) => {
    if (ENTER.test(b)) return 'enter';
    if (NO_BOOT.test(b)) throw new LoginError('the firmware found nothing to boot on the image (it fell through to network boot or the UEFI shell): not a bootable disk image for this profile');
    if (LOGIN.test(b)) throw new LoginError('the image boots to a login prompt, not OpenWrt\'s "Please press Enter to activate this console." (a root password, or not OpenWrt?)');
    return undefined;
  }, deadline, signal);
  // Without the escape sequences busybox's line editor may send after the prompt (ESC[6n).
  const prompt = waitFor(con, 'waiting for the root shell prompt', (b) => (PROMPT.test(b.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '')) ? 'prompt' : undefined), deadline, signal);
  con.write('\r');
  await prompt;
  await startAgent(con, true);
}

/**
 * Writes the harness's agent through a shell at its prompt and starts it. exec: the agent
 * replaces the shell (a VM's console); otherwise the shell is back when the agent ends (a
 * board's console, left as it was found).
 */
export async function startAgent(con: DutConsole, exec: boolean): Promise<void> {
  const agent = await readFile(join(repoRoot, 'images/default/rootfs/usr/lib/hil/agent'), 'utf8');
  con.note('writing the command agent to /tmp/hil-agent over the console');
  // Line by line: an interactive shell's line editor would take a tab as completion; the agent has none.
  con.write(`cat > /tmp/hil-agent <<'${END}'\r`);
  for (const line of agent.split('\n')) con.write(`${line}\r`);
  con.write(`${END}\r`);
  // A board's shell outlives the agent: the file goes with it, as the board was found.
  con.write(exec ? 'exec sh /tmp/hil-agent\r' : 'sh /tmp/hil-agent; rm -f /tmp/hil-agent\r');
}

export { ENTER, PROMPT, LOGIN, PANIC };
