import type { ScenarioReport } from '../report/types.js';

type Hw = Pick<ScenarioReport, 'offload' | 'flows'>;

/** The devices whose driver took the flow block; null when the kernel's answers could not be read. */
export function acceptedDevices(r: Pick<ScenarioReport, 'offload'>): string[] | null {
  const a = r.offload.devices?.answers;
  return a ? Object.entries(a).filter(([, x]) => x.flowBlock === 'accepted').map(([d]) => d).sort() : null;
}

export function describeAnswers(r: Pick<ScenarioReport, 'offload'>): string {
  const a = r.offload.devices?.answers;
  if (!a) return `unknown: ${r.offload.devices?.unknown ?? 'not asked (hardware offload was not requested)'}`;
  return Object.entries(a).map(([d, x]) => `${d}: ${x.flowBlock === 'refused' ? `refused, ${x.error}` : x.flowBlock}`).join('; ');
}

/**
 * Hardware offload in words, from the three things kept apart: what the ruleset asks
 * (`flags offload`), what each device's driver did with the flow block, and where the flows
 * ended up. "Requested and accepted by the ruleset, but no device took it: flows in software"
 * is the OpenWrt-kernel outcome on NICs that cannot offload.
 */
export function hardwareSummary(r: Hw): string | undefined {
  if (r.offload.requested !== 'hw') return undefined;
  const o = r.offload;
  const ruleset = o.effective === 'hw' ? 'hardware offload requested and accepted by the ruleset (flags offload)'
    : o.effective === 'sw' && o.fallback ? 'hardware offload requested; firewall4 fell back to software offloading (the kernel refused flags offload)'
      : o.effective === 'sw' ? 'hardware offload requested, but the ruleset has no flags offload'
        : 'hardware offload requested, but no flowtable is in force';
  const took = acceptedDevices(r);
  const refused = Object.entries(o.devices?.answers ?? {}).filter(([, x]) => x.flowBlock === 'refused').map(([d, x]) => `${d}: ${x.error}`);
  const devices = took === null ? `which device took the flow block is unknown (${o.devices?.unknown ?? 'not asked'})`
    : took.length === 0 ? `no device took the flow block${refused.length ? ` (${refused.join('; ')})` : ''}`
      // Asked alone, these would take it; with no flowtable in force that has flags offload, none holds it.
      : `${took.join(', ')} ${o.effective === 'hw' ? 'took' : 'would take'} the flow block${refused.length ? ` (refused by ${refused.join('; ')})` : ''}`;
  const seen = r.flows.filter((f) => f.matched);
  const states = (['hw', 'sw', 'none'] as const).map((st) => [st, seen.filter((f) => f.state === st).length] as const).filter(([, n]) => n > 0);
  const flows = !seen.length ? 'no data stream seen' : states.length === 1 ? `flows in ${({ hw: 'hardware', sw: 'software', none: 'no offload' })[states[0]![0]]}` : `flows: ${states.map(([st, n]) => `${n} ${st}`).join(', ')}`;
  return `${ruleset}, ${o.effective === 'hw' && took?.length === 0 ? 'but ' : ''}${devices}: ${flows}`;
}
