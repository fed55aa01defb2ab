import { ENTER, LOGIN, LoginError, waitFor } from '../targets/openwrt-login.js';
import type { DutConsole } from '../targets/types.js';
import type { Board } from './schema.js';

/** A root shell's prompt ends its line with "#" (OpenWrt: root@OpenWrt:~#). */
const SHELL_PROMPT = /(^|\n)[^\n]*# *$/;
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;
const PASSWORD = /[Pp]assword: *$/;
const INCORRECT = /Login incorrect/;

/**
 * A board's serial console, in whatever state it is found: booting, asking to press Enter
 * (OpenWrt), asking for a login, or already at a root prompt. Enter is pressed every two
 * seconds until one of those shows; a login uses the board's console credentials.
 */
export async function consoleLogin(con: DutConsole, board: Board, deadline: number, signal?: AbortSignal): Promise<void> {
  const user = board.console?.login?.user ?? 'root';
  let sentUser = false;
  let sentPassword = false;
  const poke = setInterval(() => con.write('\r'), 2000);
  try {
    con.write('\r');
    await waitFor(con, `board ${board.name}: waiting for its console to offer a shell`, (b) => {
      // busybox's line editor asks the terminal for its cursor position (ESC[6n) after each prompt.
      const tail = b.slice(-400).replace(ANSI, '');
      if (INCORRECT.test(tail) && sentPassword) throw new LoginError(`board ${board.name}: the console refused the login for ${user} (Login incorrect)`);
      if (PASSWORD.test(tail)) {
        if (!board.secrets.consolePassword) throw new LoginError(`board ${board.name}: the console asks for a password; give console.login.password`);
        if (!sentPassword) con.write(`${board.secrets.consolePassword}\r`);
        sentPassword = true;
        return undefined;
      }
      if (LOGIN.test(tail)) {
        if (!sentUser || sentPassword) con.write(`${user}\r`);
        sentUser = true;
        return undefined;
      }
      if (ENTER.test(tail.split('\n').slice(-2).join('\n'))) {
        con.write('\r');
        return undefined;
      }
      return SHELL_PROMPT.test(tail) ? 'prompt' : undefined;
    }, deadline, signal);
  } finally {
    clearInterval(poke);
  }
}
