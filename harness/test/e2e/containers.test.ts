import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/report/types.js';
import { leftovers } from './leftovers.js';

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
  it('container-module-missing: the host kernel cannot hold a flowtable, and the report says so precisely; engine, container and image are all gone after', async () => {
    const out = tmp();
    const r = await hil(['run', 'scenarios/container/', '--out', out]);
    const s = readReport(out).scenarios[0]!;
    expect(`${s.status} ${s.reason ?? ''}`.trim()).toBe('passed');
    expect(r.exitCode).toBe(0);
    expect(s.accel).toBe('container');
    expect(s.boot!.kind).toBe('container');
    expect(s.container!.flowtables).toEqual({ supported: false, error: 'Error: Could not process rule: No such file or directory' });
    expect(s.container!.hostKernel).toBe((await execa('uname', ['-r'])).stdout.trim());
    expect(s.offload.missing).toMatchObject({ modules: ['nf_flow_table', 'nf_flow_table_inet', 'nft_flow_offload'], install: 'on the host: modprobe nf_flow_table nf_flow_table_inet nft_flow_offload' });
    expect(s.firewall).toMatchObject({ loaded: false, flowtable: false });
    // The exact assertions of hostKernel.withoutFlowtables, not expect's own (sw offload).
    expect(s.assertions.map((a) => a.name)).toEqual(['firewall.loaded', 'traffic[0] ran', 'offload.effective', 'offload.missingModules', 'flows.state', 'kernel log clean']);
    expect(r.stderr).toMatch(/no Docker engine is running: starting one for this run/);
    expect(readFileSync(s.transcript!, 'utf8')).toMatch(/container removed/);
    expect(await leftovers()).toEqual([]);
  }, 300_000);

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
