import { describe, expect, it } from 'vitest';
import { hardwareSummary } from '../../src/expect/hardware.js';
import type { ScenarioReport } from '../../src/report/types.js';

const flow = (state: 'hw' | 'sw' | 'none') => ({ matched: true, state }) as ScenarioReport['flows'][number];
const report = (offload: Partial<ScenarioReport['offload']>, flows: ScenarioReport['flows']): Pick<ScenarioReport, 'offload' | 'flows'> => ({
  offload: { requested: 'hw', effective: 'hw', fallback: false, warning: null, kernelError: null, ...offload }, flows,
});
const refused = { flowBlock: 'refused' as const, error: 'EOPNOTSUPP (-95)', nftCheck: null };
const took = { flowBlock: 'accepted' as const, nftCheck: null };

describe('hardware offload in words', () => {
  it("OpenWrt's kernel on NICs that cannot offload: accepted by the ruleset, taken by no device, flows in software", () => {
    expect(hardwareSummary(report({ devices: { answers: { eth0: refused, eth1: refused } } }, [flow('sw')]))).toBe(
      'hardware offload requested and accepted by the ruleset (flags offload), but no device took the flow block (eth0: EOPNOTSUPP (-95); eth1: EOPNOTSUPP (-95)): flows in software',
    );
  });

  it('upstream: the fallback, and which devices would have taken it', () => {
    expect(hardwareSummary(report({ effective: 'sw', fallback: true, devices: { answers: { lan0: took, nsim0: refused } } }, [flow('sw')]))).toBe(
      'hardware offload requested; firewall4 fell back to software offloading (the kernel refused flags offload), lan0 would take the flow block (refused by nsim0: EOPNOTSUPP (-95)): flows in software',
    );
  });

  it('mixed flows are counted per state; unknown answers say why', () => {
    expect(hardwareSummary(report({ devices: { unknown: 'no kprobe events (tracefs) in this kernel' } }, [flow('hw'), flow('hw'), flow('sw')]))).toBe(
      'hardware offload requested and accepted by the ruleset (flags offload), which device took the flow block is unknown (no kprobe events (tracefs) in this kernel): flows: 2 hw, 1 sw',
    );
  });

  it('nothing to say when hardware offload was not requested', () => {
    expect(hardwareSummary(report({ requested: 'sw', effective: 'sw' }, [flow('sw')]))).toBeUndefined();
  });
});
