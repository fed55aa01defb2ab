import { describe, expect, it } from 'vitest';
import type { FlowReport } from '../../src/expect/flows.js';
import { verdictStatus } from '../../src/run/verdict-status.js';
import { passedReport } from '../report/scenario-report.js';

const failedAssertion = { name: 'kernel log clean', passed: false, expected: 'no kernel warning', actual: 'NETDEV WATCHDOG: eth0 (virtio_net): transmit queue 0 timed out' };
const failed = { ...passedReport, assertions: [...passedReport.assertions, failedAssertion] };
const flow = (samplesWhileRunning: number) => ({ samplesWhileRunning }) as FlowReport;

describe('a scenario\'s status from its assertions', () => {
  it('all held: passed; one not: failed', () => {
    expect(verdictStatus(passedReport)).toEqual({ status: 'passed' });
    expect(verdictStatus(failed)).toEqual({ status: 'failed' });
  });

  it('a lab fault turns a failure into an error that names it', () => {
    const r = verdictStatus({ ...failed, labFault: 'QEMU stopped serving an emulated NIC: lan NIC\'s transmit ring: QEMU took 1 buffer(s)' });
    expect(r.status).toBe('error');
    expect(r.reason).toMatch(/^lab fault, not a verdict on the firmware: QEMU stopped serving an emulated NIC: lan/);
  });

  it('a pass stays a pass beside a lab fault (nothing failed because of it)', () => {
    expect(verdictStatus({ ...passedReport, labFault: 'x' })).toEqual({ status: 'passed' });
  });

  it('a stream no sample looked at: an error, the host too busy to observe', () => {
    const r = verdictStatus({ ...failed, flows: [flow(3), flow(0)], sampling: { samples: 2, medianMs: 900, maxMs: 2400 } });
    expect(r).toEqual({ status: 'error', reason: expect.stringMatching(/^the DUT could not be observed: 1 data stream\(s\) ran without a conntrack sample; samples took up to 2\.4 s/) });
  });
});
