import type { ScenarioReport } from '../../src/report/types.js';

/** A passed scenario's report, as the reporters' tests start from. */
export const passedReport: ScenarioReport = {
  name: 'sw-offload', file: 'scenarios/sw-offload.yaml', status: 'passed', durationMs: 7300, accel: 'tcg', boot: { kind: 'cold', ms: 3000, guest: {} },
  offload: { requested: 'sw', effective: 'sw', fallback: false, warning: null, kernelError: null },
  flows: [], traffic: [], timeline: [], kernelLog: { trouble: [] }, steps: [], transcript: 'reports/x/sw-offload/console.log',
  assertions: [{ name: 'offload.effective', passed: true, expected: 'sw', actual: 'sw' }],
};
