import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Lab } from '../lab/lab.js';
import { sha256File } from '../util/sha256-file.js';
import { attachBoard } from './attach.js';
import { powerCycle } from './power.js';
import type { Board } from './schema.js';
import { SshShell } from './ssh-shell.js';

export interface FlashReport {
  board: string;
  image: string;
  sha256: string;
  bytes: number;
  command: string;
  /** What the flash command said before the board went down (it usually cannot finish). */
  output: string;
  pushMs: number;
  /** From the flash command to SSH answering again. */
  backMs: number;
  /** The board did not come back by itself and was power-cycled. */
  recovered: boolean;
  check?: { command: string; expect: string; output: string };
  transcript: string;
}

const REMOTE = '/tmp/hil-sysupgrade';

/** SSH again before deadline, or undefined; a refused login is an error at once. */
async function reconnect(board: Board, lab: Lab, deadline: number): Promise<SshShell | undefined> {
  const got = await SshShell.connectUntil(board, lab.names.ns.lan, () => deadline);
  return got instanceof SshShell ? got : undefined;
}

/**
 * Flashes the board once, before its scenarios: attach (power cycle, console, SSH), push the
 * image with its sha256 recorded, run the flash command (sysupgrade: the connection drops as
 * the board reboots), wait for SSH to answer again; a board that has not come back within
 * flash.timeoutMs is power-cycled once and waited for again. Then the check proves the new
 * firmware runs. Throws with the reason; the board is powered off either way.
 */
export async function flashBoard(board: Board, image: string, lab: Lab, transcript: string, progress: (t: string) => void): Promise<FlashReport> {
  const f = board.flash!;
  const { size } = await stat(image).catch((e: NodeJS.ErrnoException) => {
    throw new Error(`flash image ${image}: ${e.code ?? e.message}`);
  });
  const digest = await sha256File(image);
  const remote = `${REMOTE}-${basename(image).replace(/[^A-Za-z0-9._-]/g, '_')}`;
  const command = f.command.replace(/\{file\}/g, remote);
  progress(`flashing board ${board.name} with ${basename(image)} (${size} bytes, sha256 ${digest.slice(0, 12)}...)`);
  const { dut } = await attachBoard(board, lab, { transcript });
  let after: SshShell | undefined;
  try {
    if (dut.board.shell !== 'ssh') throw new Error(`flashing needs SSH, and the board did not answer it: ${dut.board.sshSkipped}`);
    const ssh = dut.shell as SshShell;
    const t0 = performance.now();
    await ssh.push(image, remote, f.timeoutMs);
    const pushMs = performance.now() - t0;
    dut.console.note(`pushed ${image} (${size} bytes, sha256 ${digest}) to ${remote} in ${Math.round(pushMs)} ms; flashing: ${command}`);
    const t1 = performance.now();
    // The board reboots under the command: a lost connection or a timeout is the expected end.
    const r = await ssh.run(command, { timeoutMs: 30_000 }).catch((e: Error) => ({ exitCode: null, stdout: '', stderr: e.message }));
    if (r.exitCode !== null && r.exitCode !== 0 && r.exitCode !== 255) {
      throw new Error(`the flash command failed (exit ${r.exitCode}): ${(r.stderr || r.stdout).trim().split('\n').pop()}`);
    }
    ssh.close();
    // Give it time to go down, so the old system is not mistaken for the new one.
    await new Promise((res) => setTimeout(res, 5000));
    let recovered = false;
    after = await reconnect(board, lab, performance.now() + f.timeoutMs);
    if (!after) {
      dut.console.note(`not back within ${f.timeoutMs} ms of flashing: power-cycling`);
      progress(`board ${board.name} did not come back after flashing: power-cycling it`);
      recovered = true;
      await powerCycle(board, (t) => dut.console.note(t));
      after = await reconnect(board, lab, performance.now() + board.timeouts.bootMs);
      if (!after) throw new Error(`the board did not come back after flashing, nor after a power cycle (${Math.round((f.timeoutMs + board.timeouts.bootMs) / 1000)} s)`);
    }
    const backMs = performance.now() - t1;
    const report: FlashReport = {
      board: board.name, image, sha256: digest, bytes: size, command, output: (r.stdout + r.stderr).trim(), pushMs: Math.round(pushMs), backMs: Math.round(backMs), recovered, transcript,
    };
    if (f.check) {
      const c = await after.run(f.check.command);
      report.check = { command: f.check.command, expect: f.check.expect, output: c.stdout };
      if (!c.stdout.includes(f.check.expect)) {
        throw new Error(`after flashing, \`${f.check.command}\` does not show "${f.check.expect}": the board is not running the new image (it said: ${c.stdout.trim().split('\n').slice(0, 3).join(' | ')})`);
      }
    }
    dut.console.note(`flashed: back after ${Math.round(backMs)} ms${recovered ? ' (power-cycled)' : ''}`);
    return report;
  } finally {
    after?.close();
    await dut.stop();
  }
}
