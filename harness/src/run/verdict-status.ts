import type { ScenarioReport } from '../report/types.js';

/**
 * The scenario's status from its assertions, once it was measured. A failure that says
 * nothing of the system under test is an error, with why: streams no sample ever looked at
 * (the host was too busy to observe the DUT), or a lab fault (QEMU stopped serving a NIC).
 */
export function verdictStatus(report: ScenarioReport): Pick<ScenarioReport, 'status' | 'reason'> {
  if (report.assertions.every((a) => a.passed)) return { status: 'passed' };
  const unseen = report.flows.filter((f) => f.samplesWhileRunning === 0);
  if (unseen.length) {
    const took = report.sampling ? `; samples took up to ${(report.sampling.maxMs / 1000).toFixed(1)} s` : '';
    return { status: 'error', reason: `the DUT could not be observed: ${unseen.length} data stream(s) ran without a conntrack sample${took}; the host is overloaded (use fewer --jobs or longer traffic)` };
  }
  if (report.labFault) return { status: 'error', reason: `lab fault, not a verdict on the firmware: ${report.labFault}` };
  return { status: 'failed' };
}
