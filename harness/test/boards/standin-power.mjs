#!/usr/bin/env node
// The stand-in board's power switch, as a lab's relay or PDU command would be:
//   node standin-power.mjs on|off DIR
// on: starts the VM (QEMU daemonized in the stand-in's namespace) and links its pty to
// DIR/ttyBOARD, the board's fixed serial device; off: stops it.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';

const [what, dir] = process.argv.slice(2);
const cfg = JSON.parse(readFileSync(join(dir, 'standin.json'), 'utf8'));
const pidFile = join(dir, 'qemu.pid');
const pid = () => {
  try {
    const p = Number(readFileSync(pidFile, 'utf8').trim());
    process.kill(p, 0);
    return p;
  } catch {
    return undefined;
  }
};
if (what === 'off') {
  const p = pid();
  if (p) {
    process.kill(p, 'SIGKILL');
    for (let i = 0; i < 100 && pid(); i++) execFileSync('sleep', ['0.05']);
  }
  rmSync(pidFile, { force: true });
  rmSync(cfg.tty, { force: true });
} else if (what === 'on') {
  if (pid()) process.exit(0);
  const r = spawnSync('ip', ['netns', 'exec', cfg.ns, ...cfg.qemu], { encoding: 'utf8' });
  if (r.status !== 0) {
    process.stderr.write(r.stderr);
    process.exit(1);
  }
  const pty = /redirected to (\/dev\/pts\/\d+)/.exec(r.stdout + r.stderr)?.[1];
  if (pty) {
    rmSync(cfg.tty, { force: true });
    symlinkSync(pty, cfg.tty);
  }
} else {
  process.stderr.write('usage: standin-power.mjs on|off DIR\n');
  process.exit(2);
}
