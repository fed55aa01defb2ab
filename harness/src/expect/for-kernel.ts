import type { ScenarioReport } from '../report/types.js';
import { KERNEL_SERIES, type Expect, type KernelSeries, type Scenario } from '../scenario/schema.js';

const isSeries = (x: string | undefined): x is KernelSeries => (KERNEL_SERIES as readonly (string | undefined)[]).includes(x);

/**
 * The expectations a scenario's outcome is judged by, on the kernel that ran it: a container on
 * a kernel without flowtables by what the scenario expects there (hostKernel); otherwise what
 * it expects of offload-hil's kernel series, else of the kernel's flavour, else expect itself.
 */
export function expectationsFor(s: Scenario, report: Pick<ScenarioReport, 'boot' | 'container'>): Expect {
  if (report.container && !report.container.flowtables.supported && s.expect.hostKernel) return s.expect.hostKernel.withoutFlowtables;
  const k = report.boot?.kernel;
  const series = k?.by === 'offload-hil' && isSeries(k.series) ? s.expect.onKernel?.[k.series] : undefined;
  return series ?? s.expect.onKernel?.[k?.flavour ?? 'upstream'] ?? s.expect;
}
