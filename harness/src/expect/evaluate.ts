import type { Expect } from '../scenario/schema.js';
import type { Assertion, ScenarioReport } from '../report/types.js';

const fmtTuple = (f: ScenarioReport['flows'][number]) =>
  `${f.proto} ${f.orig.src}:${f.orig.sport} -> ${f.orig.dst}:${f.orig.dport}`;

/** Every expectation becomes an assertion with expected and actual, passed or not. */
export function evaluate(expect: Expect, r: Pick<ScenarioReport, 'offload' | 'flows' | 'traffic'> & { forwardCounterPackets: number | null }): Assertion[] {
  const out: Assertion[] = [];
  r.traffic.forEach((t, i) => {
    out.push({ name: `traffic[${i}] ran`, passed: !t.error && t.bytes > 0, expected: 'iperf3 completed and moved data', actual: t.error ?? `${t.bytes} bytes` });
  });
  if (expect.offload?.effective !== undefined) {
    out.push({ name: 'offload.effective', passed: r.offload.effective === expect.offload.effective, expected: expect.offload.effective, actual: String(r.offload.effective) });
  }
  if (expect.offload?.fallback !== undefined) {
    out.push({
      name: 'offload.fallback',
      passed: r.offload.fallback === expect.offload.fallback,
      expected: expect.offload.fallback ? 'firewall4 warned: falling back to software offloading' : 'no fallback warning',
      actual: r.offload.warning ? `warned: ${JSON.stringify(r.offload.warning)}` : 'no warning',
    });
  }
  if (expect.flows) {
    const want = expect.flows.state;
    const min = expect.flows.minMatched ?? 1;
    const matched = r.flows.filter((f) => f.matched);
    const wrong = r.flows.filter((f) => !f.matched || f.state !== want);
    out.push({
      name: 'flows.state',
      passed: matched.length >= min && wrong.length === 0,
      expected: `all data streams (at least ${min}) last seen in state ${want}`,
      actual:
        r.flows.length === 0
          ? 'no data stream (iperf3 reported none)'
          : r.flows.map((f) => `${fmtTuple(f)}: ${f.matched ? f.state : 'not found in conntrack'}`).join('; '),
    });
  }
  if (expect.forwardCounter) {
    const ct = r.flows.reduce((a, f) => a + f.packets, 0);
    const fwd = r.forwardCounterPackets;
    const frac = fwd !== null && ct > 0 ? fwd / ct : null;
    const { maxFraction, minFraction } = expect.forwardCounter;
    const ok = frac !== null && (maxFraction === undefined || frac <= maxFraction) && (minFraction === undefined || frac >= minFraction);
    out.push({
      name: 'forwardCounter',
      passed: ok,
      expected: `forward-chain packets / conntrack packets ${minFraction !== undefined ? `>= ${minFraction}` : ''}${minFraction !== undefined && maxFraction !== undefined ? ' and ' : ''}${maxFraction !== undefined ? `<= ${maxFraction}` : ''}`,
      actual: fwd === null ? 'no forward-chain counter in the ruleset (firewall.forwardCounter: true?)' : `${fwd} / ${ct} = ${frac === null ? 'n/a' : frac.toFixed(5)}`,
    });
  }
  return out;
}
