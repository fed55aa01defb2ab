import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../src/scenario/load.js';
import { bootTimeoutMs } from '../../src/scenario/schema.js';

const body = 'offload: sw\ntraffic:\n  - { proto: tcp }\nexpect:\n  flows: { state: sw }\n';

describe('boot timeout', () => {
  it('unset: the DUT system\'s own default (an OpenWrt system takes far longer than the default image)', () => {
    const s = parseScenario(body, 'x.yaml');
    expect(s.timeouts).toEqual({ commandMs: 20_000 });
    expect(bootTimeoutMs(s, 'default')).toBe(60_000);
    expect(bootTimeoutMs(s, 'openwrt')).toBe(240_000);
  });

  it('set: the scenario\'s, whatever the system', () => {
    const s = parseScenario(`${body}timeouts: { bootMs: 400 }\n`, 'x.yaml');
    expect(bootTimeoutMs(s, 'default')).toBe(400);
    expect(bootTimeoutMs(s, 'openwrt')).toBe(400);
  });
});
