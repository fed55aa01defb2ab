import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import pty from '@lydell/node-pty';
import { describe, expect, it } from 'vitest';
import { FALLBACK_TEXT } from '../../src/platforms/fw4-output.js';

// The default image's firewall script, run for real by busybox's shell on this host.
// The host kernel has no nf_flow_table (nor an eth0), so the `flags offload` dry run is
// refused here exactly as on a router whose NICs cannot offload.
const script = new URL('../../../images/default/rootfs/sbin/fw4', import.meta.url).pathname;
const conf = (vars: string) => {
  const f = join(mkdtempSync(join(tmpdir(), 'hil-fw4-')), 'firewall');
  writeFileSync(f, vars);
  return f;
};
const fw4 = (vars: string, ...args: string[]) =>
  execa('busybox', ['sh', script, ...args], { env: { FW4_CONF: conf(vars) }, reject: false });

describe('images/default fw4', () => {
  it('renders the flowtable over both zones and the offload rule first in forward', async () => {
    const r = await fw4('flow_offloading=1\n', 'print');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/flowtable ft \{\n\t\thook ingress priority 0;\n\t\tdevices = \{ eth0, eth1 \};\n\t\tcounter;\n\t\}/);
    const forward = r.stdout.slice(r.stdout.indexOf('chain forward'));
    expect(forward.split('\n')[2]).toBe('\t\tmeta l4proto { tcp, udp } flow offload @ft;');
    expect(r.stdout).toMatch(/masquerade/);
    expect(r.stdout).not.toMatch(/flags offload/);
    expect(r.stderr).toBe('');
  });

  it("the forward counter and log rules come after the offload rule, where firewall4 puts a chain-pre include", async () => {
    const r = await fw4('flow_offloading=1\nforward_counter=1\nforward_log=200\n', 'print');
    const forward = r.stdout.slice(r.stdout.indexOf('chain forward')).split('\n');
    expect(forward.slice(2, 5)).toEqual([
      '\t\tmeta l4proto { tcp, udp } flow offload @ft;',
      '\t\tmeta l4proto { tcp, udp } limit rate 200/second log prefix "hil-fwd: " level info',
      '\t\tmeta l4proto { tcp, udp } counter comment "hil: forward-chain counter"',
    ]);
  });

  it('no offloading: no flowtable, no offload rule', async () => {
    const r = await fw4('flow_offloading=0\n', 'print');
    expect(r.stdout).not.toMatch(/flowtable|flow offload/);
  });

  it('hw refused: the "[!]" warning on stderr when it is not a terminal, ruleset without flags offload', async () => {
    const r = await fw4('flow_offloading=1\nflow_offloading_hw=1\n', 'print');
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toBe(`[!] ${FALLBACK_TEXT}`); // execa strips the final newline
    expect(r.stdout).toMatch(/flowtable ft/);
    expect(r.stdout).not.toMatch(/flags offload/);
  });

  it('quiet (-q, as at boot): no warning at all', async () => {
    const r = await fw4('flow_offloading=1\nflow_offloading_hw=1\n', '-q', 'print');
    expect(r.stderr).toBe('');
  });

  it('on a terminal: yellow, without "[!]"', async () => {
    const p = pty.spawn('busybox', ['sh', '-c', `exec busybox sh ${script} print >/dev/null`], {
      env: { FW4_CONF: conf('flow_offloading=1\nflow_offloading_hw=1\n') },
    });
    let out = '';
    p.onData((d) => (out += d));
    await new Promise((r) => p.onExit(r));
    expect(out).toBe(`\x1b[33m${FALLBACK_TEXT}\x1b[m\r\n`);
  });
});
