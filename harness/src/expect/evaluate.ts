import type { Expect } from '../scenario/schema.js';
import type { Assertion, ScenarioReport } from '../report/types.js';
import { sqmAssertion } from './sqm.js';
import { acceptedDevices, describeAnswers } from './hardware.js';

const fmtTuple = (f: ScenarioReport['flows'][number]) =>
  `${f.proto} ${f.orig.src}:${f.orig.sport} -> ${f.orig.dst}:${f.orig.dport}`;

/** Every expectation becomes an assertion with expected and actual, passed or not. */
type Evaluated = Pick<ScenarioReport, 'offload' | 'flows' | 'traffic' | 'firewall' | 'engine' | 'sqm' | 'latency' | 'forwardLog' | 'accounting'>;

export function evaluate(expect: Expect, r: Evaluated & { forwardCounterPackets: number | null }): Assertion[] {
  const out: Assertion[] = [];
  out.push(...firewallAssertions(expect, r));
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
  if (expect.offload?.missingModules !== undefined) {
    const want = [...expect.offload.missingModules].sort();
    const got = [...(r.offload.missing?.modules ?? [])].sort();
    out.push({
      name: 'offload.missingModules',
      passed: want.join() === got.join(),
      expected: want.length ? `absent from the DUT: ${want.join(', ')}` : 'every offload module present',
      actual: got.length ? r.offload.missing!.hint : 'every offload module present',
    });
  }
  if (expect.offload?.refusedDevices !== undefined) {
    const by = r.offload.refusals ?? {};
    const notRefused = expect.offload.refusedDevices.filter((d) => !by[d]);
    out.push({
      name: 'offload.refusedDevices',
      passed: notRefused.length === 0,
      expected: `the kernel refuses flags offload on ${expect.offload.refusedDevices.join(', ')}`,
      actual: Object.keys(by).length ? Object.entries(by).map(([d, e]) => `${d}: ${e ?? 'accepted'}`).join('; ') : 'no device was asked (hardware offload was not refused as a whole)',
    });
  }
  if (expect.offload?.acceptedDevices !== undefined) {
    const want = [...expect.offload.acceptedDevices].sort();
    const got = acceptedDevices(r);
    out.push({
      name: 'offload.acceptedDevices',
      passed: got !== null && got.join() === want.join(),
      expected: want.length ? `the flow block taken by exactly: ${want.join(', ')}` : 'no device takes the flow block (hardware offload nowhere)',
      actual: describeAnswers(r),
    });
  }
  const streams = () =>
    r.flows.length === 0 ? 'no data stream (iperf3 reported none)' : r.flows.map((f) => `${fmtTuple(f)}: ${f.matched ? f.state : 'not found in conntrack'}`).join('; ');
  if (expect.flows?.state !== undefined) {
    const want = expect.flows.state;
    const min = expect.flows.minMatched ?? 1;
    const matched = r.flows.filter((f) => f.matched);
    // An untracked stream cannot be offloaded: it only fails "none" when streams had to be found.
    const wrong = r.flows.filter((f) => (!f.matched && (want !== 'none' || min > 0)) || (f.matched && f.state !== want));
    out.push({
      name: 'flows.state',
      passed: matched.length >= min && wrong.length === 0 && r.flows.length > 0,
      expected: `all data streams (at least ${min}) last seen in state ${want}`,
      actual: streams(),
    });
  }
  if (expect.flows?.minPerState) {
    const want = Object.entries(expect.flows.minPerState).filter(([, n]) => n !== undefined) as [string, number][];
    const count = (st: string) => r.flows.filter((f) => f.matched && f.state === st).length;
    out.push({
      name: 'flows.minPerState',
      passed: want.every(([st, n]) => count(st) >= n),
      expected: want.map(([st, n]) => `at least ${n} data stream(s) in ${st}`).join(', '),
      actual: `${want.map(([st]) => `${count(st)} in ${st}`).join(', ')}: ${streams()}`,
    });
  }
  if (expect.engine) {
    const e = r.engine;
    const { minHits, minTableFull, maxEntries, drainedWithinMs } = expect.engine;
    const ok =
      !!e &&
      (minHits === undefined || e.hits >= minHits) &&
      (minTableFull === undefined || e.tableFull >= minTableFull) &&
      (maxEntries === undefined || e.entries <= maxEntries) &&
      (drainedWithinMs === undefined || (e.drainedAfterMs != null && e.drainedAfterMs <= drainedWithinMs));
    out.push({
      name: 'engine',
      passed: ok,
      expected: [
        minHits !== undefined && `hits >= ${minHits}`,
        minTableFull !== undefined && `table-full refusals >= ${minTableFull}`,
        maxEntries !== undefined && `entries in use <= ${maxEntries}`,
        drainedWithinMs !== undefined && `table empty within ${drainedWithinMs} ms after the traffic`,
      ].filter(Boolean).join(', '),
      actual: e
        ? `hits ${e.hits}, misses ${e.misses}, table-full ${e.tableFull}, entries ${e.entries}/${e.capacity}${e.drainedAfterMs !== undefined ? `, ${e.drainedAfterMs === null ? 'not drained' : `drained after ${e.drainedAfterMs} ms`}` : ''}`
        : 'no offload engine on this DUT (dut.offloadEngine)',
    });
  }
  if (expect.forwardCounter) {
    const ct = r.flows.reduce((a, f) => a + f.packets, 0);
    const fwd = r.forwardCounterPackets;
    const frac = fwd !== null && ct > 0 ? fwd / ct : null;
    const { maxFraction, minFraction, maxPackets } = expect.forwardCounter;
    const ratio = maxFraction !== undefined || minFraction !== undefined;
    const ok =
      fwd !== null &&
      (!ratio || (frac !== null && (maxFraction === undefined || frac <= maxFraction) && (minFraction === undefined || frac >= minFraction))) &&
      (maxPackets === undefined || fwd <= maxPackets);
    const expected = [
      minFraction !== undefined && `forward-chain packets / conntrack packets >= ${minFraction}`,
      maxFraction !== undefined && `forward-chain packets / conntrack packets <= ${maxFraction}`,
      maxPackets !== undefined && `forward-chain packets <= ${maxPackets}`,
    ].filter(Boolean).join(' and ');
    out.push({
      name: 'forwardCounter',
      passed: ok,
      expected,
      actual: fwd === null ? 'no forward-chain counter in the ruleset (firewall.forwardCounter: true?)' : `${fwd} / ${ct} = ${frac === null ? 'n/a' : frac.toFixed(5)}`,
    });
  }
  if (expect.sqm) out.push(sqmAssertion(expect.sqm, r.sqm, r.latency ?? null));
  if (expect.forwardLog) out.push(forwardLogAssertion(expect.forwardLog, r));
  if (expect.ctAccounting) {
    const a = r.accounting;
    const { minFraction, maxFraction } = expect.ctAccounting;
    out.push({
      name: 'ctAccounting',
      passed: !!a && a.fraction !== null && (minFraction === undefined || a.fraction >= minFraction) && (maxFraction === undefined || a.fraction <= maxFraction),
      expected: [minFraction !== undefined && `conntrack bytes / iperf3 bytes >= ${minFraction}`, maxFraction !== undefined && `<= ${maxFraction}`].filter(Boolean).join(' and '),
      actual: a ? `${a.ctBytes} / ${a.iperf3Bytes} = ${a.fraction ?? 'n/a'} (acct ${a.acct ? 'on' : 'off'}, flowtable counter ${a.flowtableCounter ? 'on' : 'off'}; ${a.perFlow.map((f) => `${f.orig} [${f.state}] ${f.ctBytes} B`).join('; ')})` : 'no accounting read',
    });
  }
  return out;
}

function forwardLogAssertion(want: NonNullable<Expect['forwardLog']>, r: Evaluated): Assertion {
  const { maxLinesWhileOffloaded: maxOff, minLinesPerSecond: minRate } = want;
  const expected = [
    maxOff !== undefined && `each data stream logged at most ${maxOff} line(s) once offloaded`,
    minRate !== undefined && `each data stream logged at least ${minRate} line(s)/s`,
  ].filter(Boolean).join(' and ');
  const log = r.forwardLog;
  if (!log || !Array.isArray(log)) return { name: 'forwardLog', passed: false, expected, actual: log ? log.error : 'no forward-chain log was read' };
  if (!log.length) return { name: 'forwardLog', passed: false, expected, actual: 'no data stream to judge' };
  // A stream never offloaded has no "while offloaded" lines to bound: that fails a bound that expects offload.
  const ok = log.every((f) => (maxOff === undefined || (f.linesWhileOffloaded !== null && f.linesWhileOffloaded <= maxOff)) && (minRate === undefined || f.linesPerSecond >= minRate));
  return {
    name: 'forwardLog',
    passed: ok,
    expected,
    actual: log.map((f) => `${f.orig}: ${f.lines} lines, ${f.linesPerSecond}/s, ${f.linesWhileOffloaded === null ? 'never offloaded' : `${f.linesWhileOffloaded} while offloaded`}`).join('; '),
  };
}

function describeFirewall(r: Pick<ScenarioReport, 'offload' | 'firewall'>): string {
  const fw = r.firewall!;
  const exit = `fw4 exited ${r.offload.applyExitCode ?? '?'}`;
  const parts = [
    fw.loaded ? 'table inet fw4 holds the ruleset fw4 rendered'
      : fw.present === false || !fw.differences ? `no table inet fw4: nft rejected the whole ruleset, yet ${exit}`
        : `table inet fw4 is not what fw4 renders for this configuration (an older ruleset kept when nft rejected the new one whole?), yet ${exit}: ${fw.differences.join('; ')}`,
  ];
  if (fw.nftErrors.length) parts.push(fw.nftErrors.slice(0, 2).join(' | '));
  const m = r.offload.missing;
  if (m) parts.push(m.hint);
  return parts.join('; ');
}

/**
 * A router without a firewall is a loud failure of its own, unless the scenario expects
 * exactly that; so is offloading requested with no flowtable in the ruleset (fw4 renders
 * none when no zone has a netifd device, and says nothing).
 */
function firewallAssertions(expect: Expect, r: Pick<ScenarioReport, 'offload' | 'firewall'>): Assertion[] {
  if (!r.firewall) return [];
  const out: Assertion[] = [];
  const want = expect.firewall?.loaded ?? true;
  out.push({
    name: expect.firewall ? 'firewall.loaded' : 'firewall loaded',
    passed: r.firewall.loaded === want,
    expected: want ? 'the kernel holds the ruleset fw4 renders for this configuration (fw4 print)' : 'the configuration\'s ruleset not in the kernel',
    actual: describeFirewall(r),
  });
  if (r.firewall.loaded && r.offload.requested !== 'none' && expect.offload?.effective === undefined) {
    out.push({
      name: 'flowtable present',
      passed: r.firewall.flowtable,
      expected: `a flowtable, since ${r.offload.requested} offloading was requested`,
      actual: r.firewall.flowtable ? 'flowtable in table inet fw4' : 'offloading requested but no flowtable: fw4 found no zone device to offload (netifd interfaces?)',
    });
  }
  return out;
}
