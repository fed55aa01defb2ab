import { describe, expect, it } from 'vitest';
import { openwrtKernelHas701 } from '../../src/run/platform-step.js';

describe("OpenWrt's own kernels and patch 701", () => {
  it('23.05 and later, and snapshots, carry it; 22.03 and earlier do not', () => {
    for (const r of ['23.05.0', '23.05.5', '24.10.0', '25.12.0-rc1', 'SNAPSHOT']) expect(openwrtKernelHas701(r), r).toBe(true);
    for (const r of ['22.03.7', '21.02.3', '19.07.10']) expect(openwrtKernelHas701(r), r).toBe(false);
  });
});
