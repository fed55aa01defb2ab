import { describe, expect, it } from 'vitest';
import { expectationsFor } from '../../src/expect/for-kernel.js';
import { scenarioSchema } from '../../src/scenario/schema.js';
import type { BootKernel } from '../../src/targets/boot-report.js';

const scenario = scenarioSchema.parse({
  offload: 'sw',
  flood: { flows: 10 },
  expect: {
    offload: { effective: 'sw' },
    onKernel: { openwrt: { offload: { effective: 'hw' } }, '6.12': { flood: { conntrackReachedMax: true } } },
  },
});
const on = (kernel: BootKernel) => ({ boot: { kernel } } as Parameters<typeof expectationsFor>[1]);

describe('expectations per kernel', () => {
  it("a series' own entry wins, on offload-hil's kernel only", () => {
    expect(expectationsFor(scenario, on({ by: 'offload-hil', release: '6.12.95', series: '6.12', flavour: 'openwrt' }))).toEqual({ flood: { conntrackReachedMax: true } });
    // A board's 6.12 is not offload-hil's series: its flavour decides.
    expect(expectationsFor(scenario, on({ by: 'board', release: '6.12.1', series: '6.12', flavour: 'openwrt' })).offload).toEqual({ effective: 'hw' });
  });

  it('otherwise the flavour, otherwise expect itself', () => {
    expect(expectationsFor(scenario, on({ by: 'offload-hil', release: '6.1.0', series: '6.1', flavour: 'openwrt' })).offload).toEqual({ effective: 'hw' });
    expect(expectationsFor(scenario, on({ by: 'offload-hil', release: '6.1.0', series: '6.1', flavour: 'upstream' })).offload).toEqual({ effective: 'sw' });
    expect(expectationsFor(scenario, { boot: null } as Parameters<typeof expectationsFor>[1]).offload).toEqual({ effective: 'sw' });
  });

  it('dut.kernel is a series the harness offers', () => {
    expect(scenarioSchema.parse({ offload: 'sw', traffic: [{ proto: 'tcp' }], expect: { offload: { effective: 'sw' } }, dut: { kernel: '6.12' } }).dut.kernel).toBe('6.12');
    expect(() => scenarioSchema.parse({ offload: 'sw', traffic: [{ proto: 'tcp' }], expect: { offload: { effective: 'sw' } }, dut: { kernel: '5.15' } })).toThrow(/6\.1.*6\.12/);
  });
});
