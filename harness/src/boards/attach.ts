import type { Lab } from '../lab/lab.js';
import type { BoardReport } from './board-report.js';
import type { BootReport } from '../targets/boot-report.js';
import { startAgent } from '../targets/openwrt-login.js';
import { ConsoleShell } from '../targets/shell-protocol.js';
import type { ConsoleDut, Shell } from '../targets/types.js';
import { TranscriptConsole } from '../targets/transcript-console.js';
import { BoardConsole } from './console.js';
import { consoleLogin } from './login.js';
import { power, powerCycle } from './power.js';
import type { Board } from './schema.js';
import { SshShell } from './ssh-shell.js';

/** Once the console shows a shell, sshd has this long to answer before the console is used instead. */
const SSH_AFTER_CONSOLE_MS = 30_000;

export interface BoardDut extends ConsoleDut {
  board: BoardReport;
}

/**
 * A board as a DUT: powered on, its console opened (transcript from the first byte), the
 * lab's hosts wired through its cables, then a shell: SSH when it answers, else the
 * serial console with the harness's agent. stop() leaves the console as found and powers
 * the board off. Every failure on the way powers it off and closes what was opened.
 */
export async function attachBoard(
  board: Board, lab: Lab, o: { transcript: string; bottleneck?: { bitsPerSecond: number; bufferMs: number }; signal?: AbortSignal },
): Promise<{ dut: BoardDut; boot: BootReport }> {
  const start = performance.now();
  const deadline = start + board.timeouts.bootMs;
  // With SSH only, a person's console (hil shell) is a login shell over SSH.
  const log = new TranscriptConsole(o.transcript, undefined, () => (ssh ? ssh.interactive() : Promise.reject(new Error('the board has no SSH connection'))));
  let con: BoardConsole | undefined;
  let ssh: SshShell | undefined;
  let powered = false;
  const stopLogin = new AbortController();
  const undo = async () => {
    stopLogin.abort();
    ssh?.close();
    // Powered off while the console still listens: the transcript ends with the board going down.
    const note = (t: string) => (con ?? log).note(t);
    if (powered) await power(board, 'off', note).catch((e: Error) => note(e.message));
    await con?.kill();
    await log.end();
  };
  try {
    log.note(`board ${board.name} (${board.file})`);
    powered = true;
    // A cycle: every scenario starts on a freshly booted board, as on a fresh VM.
    await powerCycle(board, (t) => log.note(t));
    if (board.console) {
      await log.end();
      con = await BoardConsole.open(board, o.transcript, deadline);
    }
    const note = (t: string) => (con ?? log).note(t);
    await lab.wireHosts(o.bottleneck);
    const report: BoardReport = {
      name: board.name, file: board.file, shell: 'ssh', console: con?.describe,
      cables: { lan: board.cables.lan, wan: board.cables.wan, mode: board.cables.mode },
    };
    // The console's login and SSH race: SSH wins when it answers; once the console offers a
    // shell, sshd gets SSH_AFTER_CONSOLE_MS more before the console is used instead.
    const cs: { state: 'pending' | 'ready' | Error } = { state: 'pending' };
    let readyAt = Infinity;
    const login = con && consoleLogin(con, board, deadline, AbortSignal.any([stopLogin.signal, ...(o.signal ? [o.signal] : [])])).then(
      () => {
        cs.state = 'ready';
        readyAt = performance.now();
      },
      (e: Error) => {
        const c = con!;
        cs.state = c.received === 0 && /timed out/.test(e.message)
          ? new Error(`board ${board.name} never answered: nothing arrived on its console (${c.describe}) within ${Math.round(board.timeouts.bootMs / 1000)} s of power on`)
          : e;
      },
    );
    let shell: Shell | undefined;
    if (board.ssh) {
      const until = () => (con ? Math.min(deadline, readyAt + SSH_AFTER_CONSOLE_MS) : deadline);
      const got = await SshShell.connectUntil(board, lab.names.ns.lan, until, () => {
        if (o.signal?.aborted) return new Error(`board ${board.name}: interrupted`);
        return cs.state instanceof Error && /panicked/.test(cs.state.message) ? cs.state : undefined;
      });
      const last = 'last' in got ? got.last : '';
      if (got instanceof SshShell) {
        ssh = shell = got;
        got.transcript = (con ?? log).transcript;
        report.hostKey = got.hostKey;
        note(`SSH ${board.ssh.user}@${board.ssh.host}:${board.ssh.port} (host key ${got.hostKey})`);
      }
      if (!shell) {
        const why = `no SSH at ${board.ssh.host}:${board.ssh.port} within ${Math.round((performance.now() - start) / 1000)} s (${last || 'no answer'})`;
        if (!con) throw new Error(`board ${board.name} never answered: ${why}`);
        report.sshSkipped = why;
        note(`${why}: using the console`);
      } else if (cs.state === 'pending') {
        stopLogin.abort();
      }
    }
    await login;
    if (!shell && cs.state instanceof Error) throw cs.state;
    if (!shell) {
      report.shell = 'console';
      const agent = new ConsoleShell(con!, board.timeouts.commandMs);
      await startAgent(con!, false);
      await agent.waitReady(Math.max(1000, deadline - performance.now()), o.signal);
      shell = agent;
    }
    // A board that was not power-cycled still holds the last run's flows.
    if (board.power === 'manual') await shell.run('conntrack -F 2>/dev/null; true');
    const bootMs = performance.now() - start;
    const c = con ?? log;
    c.transcript.ready();
    const uname = await shell.run('uname -r');
    // Commands go over SSH, so no agent runs on the serial console: a person gets it as it is.
    if (con && report.shell !== 'console') con.handOver = () => con!.note('console handed over to a person');
    const dut: BoardDut = {
      shell, console: c, accel: 'board', accelReason: `board ${board.name}`, bootMs, board: report,
      banner: { kernel: uname.stdout.trim() },
      stop: async () => {
        // The agent ends and the board's own shell is back at its prompt, as found.
        if (report.shell === 'console' && !con!.closed) {
          con!.write('hil-bye P stty sane; exit 0\n');
          await new Promise((r) => setTimeout(r, 200));
        }
        await undo();
      },
    };
    return { dut, boot: { kind: 'board', ms: Math.round(bootMs), guest: dut.banner, snapshot: { key: null, action: 'disabled', note: 'board' }, warnings: [] } };
  } catch (e) {
    await undo();
    throw e;
  }
}
