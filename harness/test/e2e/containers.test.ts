import { mkdirSync, mkdtempSync, readFileSync, renameSync, symlinkSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/report/types.js';
import { outputOf, readableTranscript } from './transcript-shape.js';
import { leftovers } from './leftovers.js';
import { onTerminal } from './terminal.js';
import { hostsRootfs } from '../../src/images/hosts-image.js';

// The container target through the real CLI, on this machine's Docker engine (started by the
// harness when none runs, as here) and this host's kernel, which has no nf_flow_table.
const root = new URL('../../../', import.meta.url).pathname;
const tmp = () => mkdtempSync(join(tmpdir(), 'hil-e2e-ct-'));
const hil = (args: string[], env: Record<string, string> = {}) => execa(process.execPath, [join(root, 'harness/bin/hil.js'), ...args], { reject: false, cwd: root, env: { CI: 'true', ...env } });
const readReport = (dir: string) => JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as RunReport;
const scenario = (dir: string, name: string, container: string) => {
  const f = join(dir, `${name}.yaml`);
  writeFileSync(f, `name: ${name}\ntarget: { container: ${container} }\noffload: sw\ntraffic: [{ proto: tcp, family: ipv6, duration: 2 }]\nexpect: { offload: { effective: sw } }\n`);
  return f;
};

describe('container target', () => {
  it('the shipped container scenarios: container-module-missing says precisely why the host kernel cannot hold a flowtable; container-hosts offloads through a VM with container hosts; engine, containers and images are all gone after', async () => {
    const out = tmp();
    const r = await hil(['run', 'scenarios/container/', '--out', out]);
    const all = readReport(out).scenarios;
    expect(all.map((x) => `${x.name} ${x.status} ${x.reason ?? ''}`.trim()).sort()).toEqual(['container-hosts passed', 'container-module-missing passed']);
    expect(r.exitCode).toBe(0);
    const s = all.find((x) => x.name === 'container-module-missing')!;
    expect(s.accel).toBe('container');
    expect(s.boot!.kind).toBe('container');
    expect(s.container!.flowtables).toEqual({ supported: false, error: 'Error: Could not process rule: No such file or directory' });
    expect(s.container!.hostKernel).toBe((await execa('uname', ['-r'])).stdout.trim());
    expect(s.offload.missing).toMatchObject({ modules: ['nf_flow_table', 'nf_flow_table_inet', 'nft_flow_offload'], install: 'on the host: modprobe nf_flow_table nf_flow_table_inet nft_flow_offload' });
    expect(s.firewall).toMatchObject({ loaded: false, flowtable: false });
    // The exact assertions of hostKernel.withoutFlowtables, not expect's own (sw offload). The
    // container's busybox dmesg is refused the host's log: no kernel-log verdict, and why.
    expect(s.assertions.map((a) => a.name)).toEqual(['firewall.loaded', 'traffic[0] ran', 'offload.effective', 'offload.missingModules', 'flows.state']);
    expect(s.kernelLog.error).toMatch(/Operation not permitted/);
    expect(s.warnings).toContainEqual(expect.stringMatching(/^the kernel log could not be read \(.*\): it is not judged$/));
    expect(r.stderr).toMatch(/no Docker engine is running: starting one for this run/);
    expect(readFileSync(s.transcript!, 'utf8')).toMatch(/container removed/);
    // The container's exec commands: the same transcript shape as a VM's console.
    expect(outputOf(readableTranscript(s.transcript!), /^uname -r$/)).toBe((await execa('uname', ['-r'])).stdout.trim());

    // The hosts are the image's: Debian's iperf3 and iputils ping, in two containers of their own.
    const h = all.find((x) => x.name === 'container-hosts')!;
    expect(h.accel).toBe('tcg');
    expect(h.hosts!.tools.iperf3).toMatch(/^iperf 3\./);
    expect(h.hosts!.tools.ping).toMatch(/^ping from iputils /);
    expect(h.hosts!.lan).toMatch(/^[0-9a-f]{64}$/);
    expect(h.hosts!.wan).not.toBe(h.hosts!.lan);
    expect(h.traffic.map((t) => t.error)).toEqual([null, null]);
    expect(Math.min(...h.traffic.map((t) => t.bytes))).toBeGreaterThan(1_000_000);
    expect(h.flows.length).toBeGreaterThanOrEqual(2);
    // The probe ran under load: adaptive traffic ends the streams once decided (~1 s on a fast
    // host), so 7-10 probes at 100 ms, not the ~30 of the full 3 s.
    expect(h.latency!.loaded.samples).toBeGreaterThanOrEqual(3);
    expect(readFileSync(h.hostsLog!, 'utf8')).toMatch(/--- lan host container [0-9a-f]{12}\n[\s\S]*--- wan host container /);
    expect(await leftovers()).toEqual([]);
  }, 300_000);

  it('container hosts run their own image\'s tools: traffic and ping go through the image\'s binaries, hil exec reaches the container, and an image without them is one line', async () => {
    const dir = tmp();
    // The default hosts image, with iperf3 and ping wrapped so that each use is written to the container's log.
    const rfs = join(dir, 'hosts');
    mkdirSync(rfs);
    await execa('tar', ['-C', rfs, '-xf', await hostsRootfs()]);
    for (const t of ['iperf3', 'ping']) {
      renameSync(join(rfs, 'usr/bin', t), join(rfs, 'usr/bin', `${t}.real`));
      writeFileSync(join(rfs, 'usr/bin', t), `#!/bin/sh\necho "hil-test: ${t} $*" >/proc/1/fd/1\nexec /usr/bin/${t}.real "$@"\n`, { mode: 0o755 });
    }
    await execa('tar', ['-C', rfs, '-cf', join(dir, 'wrapped.tar'), '.']);
    const f = join(dir, 'wrapped-hosts.yaml');
    // Fails on purpose (flows are offloaded), so that --keep-on-failure leaves the lab up for hil exec.
    writeFileSync(f, 'name: wrapped-hosts\noffload: sw\nlab: { hosts: { container: wrapped.tar } }\nlatency: { idleMs: 500, warmupMs: 0 }\n' +
      'traffic: [{ proto: tcp, family: ipv4, duration: 2 }]\nexpect: { flows: { state: none } }\n');
    const out = join(dir, 'o1');
    const run = execa(process.execPath, [join(root, 'harness/bin/hil.js'), 'run', f, '--out', out, '--keep-on-failure'], { cwd: root, reject: false, env: { CI: 'true' } });
    let err = '';
    run.stderr!.on('data', (d) => (err += d));
    const end = Date.now() + 180_000;
    while (!/kept 1 failed lab\(s\) up/.test(err)) {
      if (Date.now() > end || run.exitCode !== null) throw new Error(`no kept lab:\n${err}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const id = /hil down (\S+)/.exec(err)![1]!;
    try {
      // This machine's /usr/bin/iperf3 is an ELF binary; the container's is the wrapper.
      const exec = await hil(['exec', '--session', id, 'wan', '--', 'cat', '/usr/bin/iperf3']);
      expect(exec.stdout).toContain('hil-test: iperf3');
      expect((await hil(['exec', '--session', id, 'lan', '--', 'ping', '-c', '1', '-W', '5', '10.99.0.1'])).exitCode).toBe(0);
    } finally {
      await hil(['down', id]);
    }
    expect((await run).exitCode).toBe(1);
    const s = readReport(out).scenarios[0]!;
    expect(s.status).toBe('failed');
    expect(s.traffic[0]!.bytes).toBeGreaterThan(1_000_000);
    const log = readFileSync(s.hostsLog!, 'utf8');
    // The WAN container ran the server, the LAN container the client and the latency probe.
    expect(log).toMatch(/--- lan host container \w+\n(hil-test: .*\n)*hil-test: iperf3 -c 10\.99\.0\.1 -p 5201 /);
    expect(log).toMatch(/--- lan host container \w+\n(hil-test: .*\n)*hil-test: ping -n -D -O /);
    expect(log).toMatch(/--- wan host container \w+\n(hil-test: .*\n)*hil-test: iperf3 -s -1 -J -p 5201/);
    expect(s.latency!.idle.samples).toBeGreaterThan(2);

    // Busybox only: no iperf3, and its ping is not iputils'.
    const bare = join(dir, 'bare');
    mkdirSync(join(bare, 'bin'), { recursive: true });
    copyFileSync('/bin/busybox', join(bare, 'bin/busybox'));
    for (const a of ['sh', 'sleep', 'kill', 'ping']) symlinkSync('busybox', join(bare, 'bin', a));
    await execa('tar', ['-C', bare, '-cf', join(dir, 'bare.tar'), '.']);
    writeFileSync(f, readFileSync(f, 'utf8').replace('wrapped.tar', 'bare.tar'));
    const out2 = join(dir, 'o2');
    const r2 = await hil(['run', f, '--out', out2]);
    expect(readReport(out2).scenarios[0]!.reason).toMatch(/^the lab hosts' image .*bare\.tar lacks iperf3 \(.+\) and iputils ping \(.+\): it needs \/bin\/sh, iperf3 and iputils ping$/);
    expect(r2.exitCode).toBe(1);
    expect(await leftovers()).toEqual([]);
  }, 400_000);

  it('hil shell on a container DUT: a shell inside the container on this terminal (a TTY exec), typed into and answered; Ctrl-] tears it all down', async () => {
    const t = onTerminal(['shell', 'scenarios/container/container-module-missing.yaml'], { CI: 'true' });
    try {
      await t.waitFor(/this terminal is the DUT console/);
      const at = await t.waitFor(/dut# /);
      // The container's PID 1 is the harness's idle loop, not this machine's init.
      t.p.write("tr '\\0' ' ' </proc/1/cmdline; echo; echo typed-$((40+2))\r");
      await t.waitFor(/while :; do sleep 3600[\s\S]*typed-42/, at);
      t.p.write('\x1d');
      expect(await t.exited).toBe(0);
    } finally {
      // A failed wait must not leave the lab to the next tests: the hangup tears it down.
      t.p.kill('SIGHUP');
      await t.exited;
    }
    expect(t.screen()).toMatch(/detached; tearing it down/);
    expect(await leftovers()).toEqual([]);
  }, 180_000);

  it('an engine that does not answer, no engine at all, a tarball that is not one, a container that exits at once: one line each, nothing left', async () => {
    const dir = tmp();
    const s = scenario(dir, 'ct-err', 'default');
    let out = join(dir, 'o1');
    let r = await hil(['run', s, '--out', out], { DOCKER_HOST: 'unix:///nonexistent/docker.sock' });
    expect(readReport(out).scenarios[0]!.reason).toMatch(/^the Docker engine at DOCKER_HOST=unix:\/\/\/nonexistent\/docker\.sock does not answer \(ENOENT\)$/);
    expect(r.exitCode).toBe(1);

    // No dockerd on PATH (and none running): the install hint.
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    for (const t of ['ip', 'iperf3', 'qemu-system-x86_64', 'ping', 'nsenter', 'sh', 'cat', 'tc']) {
      const p = (await execa('sh', ['-c', `command -v ${t}`], { reject: false })).stdout.trim();
      if (p) symlinkSync(p, join(bin, t));
    }
    out = join(dir, 'o2');
    r = await hil(['run', s, '--out', out], { PATH: bin });
    expect(readReport(out).scenarios[0]!.reason).toBe('no Docker engine: /var/run/docker.sock does not answer and dockerd is not installed (apt-get install docker.io)');

    writeFileSync(join(dir, 'junk.tar'), 'this is not a tar archive\n'.repeat(100));
    out = join(dir, 'o3');
    r = await hil(['run', scenario(dir, 'ct-junk', 'junk.tar'), '--out', out]);
    expect(readReport(out).scenarios[0]!.reason).toMatch(/^importing .*junk\.tar as a container image failed: .+/);

    // A root filesystem whose /bin/sh is coreutils' `false` (with its libraries): the container exits as it starts.
    const rfs = join(dir, 'rfs');
    mkdirSync(join(rfs, 'bin'), { recursive: true });
    copyFileSync('/bin/false', join(rfs, 'bin/sh'));
    for (const lib of (await execa('ldd', ['/bin/false'])).stdout.split('\n').map((l) => /(\/\S+) \(0x/.exec(l)?.[1]).filter((x): x is string => Boolean(x))) {
      mkdirSync(join(rfs, lib, '..'), { recursive: true });
      copyFileSync(lib, join(rfs, lib));
    }
    await execa('tar', ['-C', rfs, '-cf', join(dir, 'dies.tar'), '.']);
    out = join(dir, 'o4');
    r = await hil(['run', scenario(dir, 'ct-dies', 'dies.tar'), '--out', out]);
    expect(readReport(out).scenarios[0]!.reason).toMatch(/^the DUT container exited at once \(exit 1\)/);
    expect(r.exitCode).toBe(1);
    expect(await leftovers()).toEqual([]);
  }, 300_000);
});
