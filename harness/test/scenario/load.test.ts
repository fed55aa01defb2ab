import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatIssue, loadScenarios, parseScenario, ScenarioError } from '../../src/scenario/load.js';

const issues = (text: string) => {
  try {
    parseScenario(text, 'x.yaml');
  } catch (e) {
    if (e instanceof ScenarioError) return e.issues.map(formatIssue);
    throw e;
  }
  throw new Error('expected a ScenarioError');
};

const valid = `offload: sw
traffic:
  - proto: tcp
expect:
  flows: { state: sw }
`;

describe('scenario files', () => {
  it('fills defaults and names the scenario after its file', () => {
    const s = parseScenario(valid, 'scenarios/my-test.yaml');
    expect(s.name).toBe('my-test');
    expect(s.traffic[0]).toMatchObject({ tool: 'iperf3', proto: 'tcp', family: 'ipv4', direction: 'upload', streams: 1, duration: 3 });
    expect(s.target).toEqual({ image: 'default' });
  });

  it('points an unknown key at its own line and column, with its path', () => {
    expect(issues(`offload: sw\ntraffic:\n  - proto: tcp\n    strems: 2\nexpect:\n  flows: { state: sw }\n`)).toEqual([
      'x.yaml:4:5: traffic[0].strems: unknown key "strems"',
    ]);
  });

  it('reports every problem at once', () => {
    const out = issues(`offload: fast\ntraffic:\n  - proto: sctp\n    streams: "2"\nexpect: {}\n`);
    expect(out).toHaveLength(4);
    expect(out[0]).toMatch(/^x\.yaml:1:10: offload: /);
    expect(out.find((l) => l.includes('traffic[0].proto'))).toMatch(/^x\.yaml:3:12: /);
    expect(out.find((l) => l.includes('traffic[0].streams'))).toMatch(/^x\.yaml:4:14: .*number/);
    expect(out.find((l) => l.startsWith('x.yaml:5:9: expect:'))).toMatch(/checks nothing/);
  });

  it('a missing key points at the enclosing node', () => {
    expect(issues('traffic:\n  - proto: tcp\nexpect:\n  flows: { state: sw }\n')).toEqual([expect.stringMatching(/^x\.yaml:1:1: offload: /)]);
  });

  it('bad YAML is reported with its position', () => {
    expect(issues('offload: sw\ntraffic: [\n')[0]).toMatch(/^x\.yaml:\d+:\d+: /);
  });

  it('folders: every file, all issues, duplicates named', async () => {
    const d = mkdtempSync(join(tmpdir(), 'hil-scn-'));
    writeFileSync(join(d, 'a.yaml'), `name: same\n${valid}`);
    writeFileSync(join(d, 'b.yaml'), `name: same\n${valid}`);
    writeFileSync(join(d, 'c.yaml'), 'offload: [\n');
    const err = await loadScenarios([d, join(d, 'missing.yaml')]).catch((e) => e as ScenarioError);
    const text = (err as ScenarioError).issues.map(formatIssue).join('\n');
    expect(text).toMatch(/c\.yaml:\d+:\d+/);
    expect(text).toMatch(/missing\.yaml:0:0: no such file/);
    expect(text).toMatch(/duplicate scenario name "same"/);
  });

  it('an expectation without the block it reads is an error at its line', () => {
    const text = 'offload: sw\ntraffic:\n  - proto: tcp\nexpect:\n  sqm:\n    state: effective\n  forwardLog:\n    maxLinesWhileOffloaded: 0\n';
    const err = (() => { try { parseScenario(text, 'x.yaml'); } catch (e) { return e as ScenarioError; } })();
    expect(err!.issues.map(formatIssue)).toEqual([
      'x.yaml:6:5: expect.sqm: expect.sqm needs an sqm block (the shaper to judge)',
      'x.yaml:8:5: expect.forwardLog: expect.forwardLog needs firewall.forwardLog',
    ]);
  });

  // In file-name order: '-' sorts before '.', so ct-accounting-hw.yaml precedes ct-accounting.yaml.
  it('the shipped scenarios are valid', async () => {
    const s = await loadScenarios([new URL('../../../scenarios', import.meta.url).pathname]);
    expect(s.map((x) => x.name)).toEqual(['ct-accounting-hw', 'ct-accounting-no-counter', 'ct-accounting', 'hw-fallback', 'hw-flow-expiry', 'hw-mixed-devices', 'hw-no-device-openwrt-kernel', 'hw-offload-ipv6', 'hw-offload', 'hw-table-full', 'hw-tc-offload-off', 'ipv6-offload', 'logging-hw-offload', 'logging-no-offload', 'logging-sw-offload', 'module-missing-openwrt-kernel', 'module-missing', 'netdevsim-fallback', 'no-offload', 'scale-64-streams', 'scale-conntrack-full', 'scale-udp-flows', 'sqm-hw-offload', 'sqm-ingress-sw-offload', 'sqm-no-offload', 'sqm-sw-offload', 'sw-offload', 'udp-offload']);
  });
});
