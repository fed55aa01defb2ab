import { describe, expect, it } from 'vitest';
import { evaluate } from '../../src/expect/evaluate.js';
import { emptyReport } from '../../src/run/scenario-run.js';
import { scenarioSchema, type Scenario } from '../../src/scenario/schema.js';

const scenario = (input: unknown): Scenario => ({ ...scenarioSchema.parse(input), name: 't', file: 't.yaml' });
const base = { offload: 'sw', traffic: [{ proto: 'tcp' }] };

function report(s: Scenario, firewall: { loaded: boolean; flowtable: boolean }) {
  const r = emptyReport(s);
  r.firewall = { ...firewall, nftErrors: firewall.loaded ? [] : ['/dev/stdin:5:12-13: Error: Could not process rule: No such file or directory'] };
  r.offload.applyExitCode = 0;
  r.offload.missing = firewall.loaded ? null : { modules: ['nft_flow_offload'], package: 'kmod-nft-offload', install: 'opkg update && opkg install kmod-nft-offload', installed: null, hint: 'nft_flow_offload absent: kmod-nft-offload is not installed; install it with `opkg update && opkg install kmod-nft-offload` (or build the image with it)' };
  return { ...r, forwardCounterPackets: null };
}

describe('firewall assertions', () => {
  it('no fw4 table is a failure of its own unless expected', () => {
    const s = scenario({ ...base, expect: { offload: { effective: 'none' } } });
    const a = evaluate(s.expect, report(s, { loaded: false, flowtable: false })).find((x) => x.name === 'firewall loaded')!;
    expect(a.passed).toBe(false);
    expect(a.actual).toBe('no table inet fw4: nft rejected the whole ruleset, yet fw4 exited 0; /dev/stdin:5:12-13: Error: Could not process rule: No such file or directory; nft_flow_offload absent: kmod-nft-offload is not installed; install it with `opkg update && opkg install kmod-nft-offload` (or build the image with it)');
  });

  it('an older table kept after a rejected reload is not the configuration loaded: both sides shown', () => {
    const s = scenario({ ...base, expect: { offload: { effective: 'sw' } } });
    const r = report(s, { loaded: false, flowtable: false });
    r.firewall = { ...r.firewall!, present: true, differences: ['flowtable ft: rendered hook ingress priority 0, devices eth0, eth1, counter; kernel none'] };
    const a = evaluate(s.expect, r).find((x) => x.name === 'firewall loaded')!;
    expect(a.passed).toBe(false);
    expect(a.actual).toMatch(/^table inet fw4 is not what fw4 renders for this configuration .*, yet fw4 exited 0: flowtable ft: rendered hook ingress priority 0, devices eth0, eth1, counter; kernel none;/);
  });

  it('expected absent, it passes', () => {
    const ok = scenario({ ...base, expect: { firewall: { loaded: false } } });
    expect(evaluate(ok.expect, report(ok, { loaded: false, flowtable: false })).find((x) => x.name === 'firewall.loaded')!.passed).toBe(true);
  });

  it('offloading requested but no flowtable fails, and names the likely cause', () => {
    const s = scenario({ ...base, expect: { flows: { state: 'sw' } } });
    const a = evaluate(s.expect, report(s, { loaded: true, flowtable: false })).find((x) => x.name === 'flowtable present')!;
    expect(a).toMatchObject({ passed: false, actual: expect.stringMatching(/^offloading requested but no flowtable/) });
    expect(evaluate(s.expect, report(s, { loaded: true, flowtable: true })).find((x) => x.name === 'flowtable present')!.passed).toBe(true);
  });

  it('flows state none accepts untracked streams only when minMatched is 0', () => {
    const s0 = scenario({ ...base, expect: { flows: { state: 'none', minMatched: 0 } } });
    const s1 = scenario({ ...base, expect: { flows: { state: 'none' } } });
    const flows = [{ traffic: 0, proto: 'tcp', family: 'ipv6', orig: { src: 'fd00:1::2', dst: 'fd00:99::1', sport: 1, dport: 5201 }, reply: null, state: 'none', matched: false, firstOffloadMs: null, packets: 0, bytes: 0, observations: [] }] as const;
    const r = (s: Scenario) => ({ ...report(s, { loaded: false, flowtable: false }), flows: [...flows] as never });
    expect(evaluate(s0.expect, r(s0)).find((x) => x.name === 'flows.state')!.passed).toBe(true);
    expect(evaluate(s1.expect, r(s1)).find((x) => x.name === 'flows.state')!.passed).toBe(false);
  });
});
