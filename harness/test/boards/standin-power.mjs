#!/usr/bin/env node
// The stand-in board's power switch, as a lab's relay or PDU command would be:
//   node standin-power.mjs on|off DIR
// on: starts the VM and links its pty to DIR/ttyBOARD, the board's fixed serial device;
// off: stops it. QEMU runs in this machine's namespace (so a TCP console listens on its
// loopback, like a console server); its taps are then moved to the stand-in's bridges.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';

const [what, dir] = process.argv.slice(2);
const cfg = JSON.parse(readFileSync(join(dir, 'standin.json'), 'utf8'));
const pidFile = join(dir, 'qemu.pid');
const ip = (...args) => spawnSync('ip', args, { encoding: 'utf8' });
const pid = () => {
  try {
    const p = Number(readFileSync(pidFile, 'utf8').trim());
    process.kill(p, 0);
    return p;
  } catch {
    return undefined;
  }
};
const off = () => {
  const p = pid();
  if (p) {
    process.kill(p, 'SIGKILL');
    for (let i = 0; i < 100 && pid(); i++) execFileSync('sleep', ['0.05']);
  }
  rmSync(pidFile, { force: true });
  rmSync(cfg.tty, { force: true });
  for (const t of Object.values(cfg.taps)) {
    ip('-n', cfg.ns, 'link', 'del', t.tap);
    ip('link', 'del', t.tap);
  }
};
if (what === 'off') {
  off();
} else if (what === 'on') {
  if (pid()) process.exit(0);
  off();
  for (const t of Object.values(cfg.taps)) ip('tuntap', 'add', 'dev', t.tap, 'mode', 'tap');
  const r = spawnSync(cfg.qemu[0], cfg.qemu.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) {
    process.stderr.write(r.stdout + r.stderr);
    off();
    process.exit(1);
  }
  for (const t of Object.values(cfg.taps)) {
    ip('link', 'set', t.tap, 'netns', cfg.ns);
    ip('-n', cfg.ns, 'link', 'set', t.tap, 'master', t.bridge);
    ip('-n', cfg.ns, 'link', 'set', t.tap, 'up');
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
