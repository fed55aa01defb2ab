import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { evaluate } from '../expect/evaluate.js';
import { matchFlows } from '../expect/flows.js';
import { DefaultPlatform } from '../platforms/default.js';
import type { Platform } from '../platforms/types.js';
import { kernelTrouble, parseDmesg } from '../probes/kernel-log.js';
import { effectiveOffload } from '../probes/nft.js';
import { Sampler, takeSnapshot, type Snapshot } from '../probes/snapshot.js';
import type { ScenarioReport, TimelinePoint } from '../report/types.js';
import type { Scenario } from '../scenario/schema.js';
import type { AccelChoice } from '../targets/accel.js';
import { runIperf3, type TrafficRun } from '../traffic/iperf3.js';
import { hwOffloadRefusal } from '../probes/hw-offload.js';
import { missingOffloadModules } from '../platforms/offload-modules.js';
import { TeardownStack } from './teardown.js';
import { injectFault, parseFault } from './faults.js';
import { floodAssertions, runFloodRounds } from './flood-step.js';
import type { DutBooter } from './dut-boot.js';
import type { ContainerImage, DutImage } from './dut-image.js';
import { createNetdevsim } from '../platforms/netdevsim.js';
import { readEngine } from '../probes/engine.js';
import { readPortCounters } from '../probes/port-counters.js';
import { preparePlatform } from './platform-step.js';
import { rateBits } from '../scenario/schema.js';
import { LatencyProbe } from '../traffic/ping.js';
import { forwardLogs, markTrafficStart, qdiscDeltas, readQdiscs } from './caveat-probes.js';
import { sqmDirections } from '../expect/sqm.js';
import type { LimitFunction } from 'p-limit';
import { accounting } from '../expect/accounting.js';
import type { SqmDevices } from '../platforms/sqm.js';
import { qdiscDelta, type QdiscStats } from '../probes/qdisc.js';
import type { LabNames } from '../lab/names.js';
import type { ConsoleDut } from '../targets/types.js';
import type { BoardDut } from '../boards/attach.js';
import { describeContainerKernel } from './container-step.js';
import type { ContainerDut } from '../containers/container-dut.js';
import { createLab, startDut } from './dut-start.js';

export interface ScenarioContext {
  scenario: Scenario;
  index: number;
  runToken: string;
  outDir: string;
  dutImage: Exclude<DutImage, { kind: 'error' }>;
  /** The LAN and WAN hosts' container image (lab.hosts.container), imported; absent: bare namespaces. */
  hostsImage?: ContainerImage;
  accel: AccelChoice;
  booter: DutBooter;
  signal: AbortSignal;
  onWarning: (text: string) => void;
  onStep: (step: string, detail?: string) => void;
  /** `hil shell`: once configured, the lab is the user's until this resolves; no traffic runs. */
  interactive?: (lab: LiveLab) => Promise<void>;
  /** Bounds how many labs run their traffic and measurement at once (`--measure-jobs`). */
  measureGate?: LimitFunction;
  /** `--keep-on-failure`: a failed or errored lab is handed over here, its teardown with it. */
  keep?: (held: LiveLab & { teardown: () => Promise<string[]> }) => void;
}

export interface LiveLab {
  scenario: string;
  names: LabNames;
  dut: ConsoleDut;
  /** Container lab hosts' pids (for `hil exec`). */
  hostPids?: Record<'lan' | 'wan', number>;
}

export const FORWARD_COUNTER_COMMENT = 'hil: forward-chain counter';
const BASE_PORT = 5201;

/** A report before anything ran: status error until a step says otherwise. */
export function emptyReport(s: Scenario): ScenarioReport {
  return {
    name: s.name, file: s.file, status: 'error', durationMs: 0, accel: null, boot: null,
    offload: { requested: s.offload, effective: null, fallback: false, warning: null, kernelError: null },
    flows: [], traffic: [], assertions: [], timeline: [], kernelLog: { trouble: [] }, steps: [], transcript: null,
  };
}

/** With SQM: the shaped devices and their counters before the traffic, to plot drops as they happen. */
interface ShaperBase {
  devices: string[];
  before: Map<string, QdiscStats>;
}

function timeline(samples: Snapshot[], shapers?: ShaperBase): TimelinePoint[] {
  return samples.map((s) => {
    const flows = { none: 0, sw: 0, hw: 0 };
    for (const e of s.conntrack) if (e.proto === 'tcp' || e.proto === 'udp') flows[e.state]++;
    const fc = s.ruleset.counters.find((c) => c.comment === FORWARD_COUNTER_COMMENT);
    const p: TimelinePoint = { tMs: Math.round(s.tMs), flows, forwardCounterPackets: fc?.packets ?? null, flowtableDevices: s.ruleset.flowtables.reduce((a, f) => a + f.devices.length, 0) };
    if (shapers && s.qdiscs) {
      const now = new Map(s.qdiscs.map((q) => [q.dev, q]));
      const d = shapers.devices.flatMap((dev) => (now.has(dev) ? [qdiscDelta(shapers.before.get(dev), now.get(dev)!)] : []));
      p.shaper = { bytes: d.reduce((a, q) => a + q.bytes, 0), drops: d.reduce((a, q) => a + q.drops, 0), marks: d.reduce((a, q) => a + q.marks, 0) };
    }
    return p;
  });
}

/** One scenario on its own lab; never throws: every outcome is a report. */
export async function runScenario(ctx: ScenarioContext): Promise<ScenarioReport> {
  const { scenario: s, signal } = ctx;
  const report = emptyReport(s);
  const started = performance.now();
  const teardown = new TeardownStack();
  let live: LiveLab | undefined;
  let kept = false;
  const dir = join(ctx.outDir, s.name);
  let current = 'start';
  const step = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    if (signal.aborted) throw new Error(`interrupted (${String(signal.reason ?? 'signal')}) before ${name}`);
    current = name;
    ctx.onStep(name);
    const t = performance.now();
    const startMs = Date.now();
    try {
      return await fn();
    } finally {
      report.steps.push({ name, startMs, durationMs: Math.round(performance.now() - t) });
    }
  };

  try {
    await mkdir(dir, { recursive: true });
    report.transcript = join(dir, 'console.log');
    const bn = s.lab.bottleneck;
    if (bn) report.bottleneck = { bitsPerSecond: rateBits(bn.rate), bufferMs: bn.bufferMs };
    if (ctx.hostsImage) report.hostsLog = join(dir, 'hosts.log');
    const lab = await step('lab', () => createLab(ctx, report.hostsLog ?? ''));
    teardown.push('lab', () => lab.destroy());
    if (lab.hostContainers) report.hosts = lab.hostContainers.info;
    const { dut, boot } = await step('boot', () => startDut(ctx, lab, report.transcript!, report.bottleneck));
    teardown.push(ctx.dutImage.kind === 'board' || ctx.dutImage.kind === 'container' ? ctx.dutImage.kind : 'qemu', () => dut.stop());
    live = { scenario: s.name, names: lab.names, dut, ...(lab.hostContainers && { hostPids: lab.hostContainers.pids }) };
    if ('board' in dut) report.board = (dut as BoardDut).board;
    report.accel = dut.accel;
    report.accelReason = dut.accelReason;
    report.boot = boot;
    ctx.onStep('boot', `${dut.accel} ${boot.kind} ${(dut.bootMs / 1000).toFixed(1)} s`);
    for (const w of boot.warnings) ctx.onWarning(w);

    let sqmDevices: SqmDevices | undefined;
    let qdiscsBefore: Map<string, QdiscStats> | undefined;
    const platform: Platform = await step('platform', () => preparePlatform(s, ctx.dutImage.kind, dut, report));
    await step('wire', async () => {
      await lab.wireHosts(report.bottleneck);
      await platform.configureNetwork(dut.shell);
    });

    await step('configure', async () => {
      let extraLanDevices: string[] = [];
      if (s.dut.netdevsim) {
        if (!(platform instanceof DefaultPlatform)) throw new Error('dut.netdevsim needs the default image (it ships netdevsim.ko built for its kernel)');
        report.netdevsim = await createNetdevsim(dut.shell, s.dut.netdevsim, platform.bin);
        extraLanDevices = report.netdevsim.ports;
      }
      const applied = await platform.applyOffload(dut.shell, {
        mode: s.offload, forwardCounter: s.firewall.forwardCounter, forwardLog: s.firewall.forwardLog, flowtableCounter: s.firewall.flowtableCounter, extraLanDevices,
      });
      report.offload.applyStderr = applied.result.stderr;
      report.offload.applyExitCode = applied.result.exitCode;
      report.offload.warning = applied.output.warning;
      report.offload.fallback = applied.output.warning !== null;
      const snap = await takeSnapshot(dut.shell, platform, performance.now());
      report.offload.effective = effectiveOffload(snap.ruleset);
      report.firewall = {
        loaded: snap.ruleset.tables.some((t) => t.family === 'inet' && t.name === 'fw4'),
        flowtable: snap.ruleset.flowtables.some((f) => f.family === 'inet' && f.table === 'fw4'),
        nftErrors: applied.output.nftErrors,
      };
      if (s.offload !== 'none' || s.expect.offload?.missingModules || s.expect.hostKernel) {
        report.offload.missing = await missingOffloadModules(dut.shell, platform.packageManager);
      }
      if ('container' in dut) await describeContainerKernel(dut as ContainerDut, report);
      if (applied.output.nftErrors.length) report.offload.kernelError = applied.output.nftErrors.join('\n');
      else if (s.offload === 'hw' && report.offload.effective !== 'hw') {
        const refusal = await hwOffloadRefusal(dut.shell, platform, [platform.devices.lan, ...extraLanDevices, platform.devices.wan]);
        report.offload.kernelError = refusal.error;
        report.offload.refusals = refusal.byDevice;
      }
      if (s.sqm) sqmDevices = await platform.applySqm(dut.shell, s.sqm);
    });

    if (ctx.interactive) {
      await step('interactive', () => ctx.interactive!(live!));
      report.status = 'skipped';
      report.reason = 'interactive session: no traffic was run';
      return report;
    }

    // From the idle probe to the last reading, the DUT is measured: only so many labs at a
    // time, so that labs booting or tearing down beside them do not starve the measurement.
    const queuedAt = performance.now();
    const measure = async () => {
      const waited = Math.round(performance.now() - queuedAt);
      if (waited > 0) report.steps.push({ name: 'queued', startMs: Date.now() - waited, durationMs: waited });
      const latencyCfg = s.latency ?? (s.expect.sqm ? { intervalMs: 100, idleMs: 2000, warmupMs: 1500 } : undefined);
      let probe: LatencyProbe | undefined;
      if (latencyCfg) {
        await step('idle', async () => {
          probe = new LatencyProbe(lab.hosts, latencyCfg.intervalMs);
          teardown.push('latency probe', () => probe!.kill());
          probe.start();
          await new Promise((res) => setTimeout(res, latencyCfg.idleMs));
        });
      }
      if (sqmDevices) qdiscsBefore = await readQdiscs(dut.shell, platform);
      if (s.firewall.forwardLog) await markTrafficStart(dut.shell);

      const t0 = performance.now();
      const t0Epoch = Date.now();
      const sampler = new Sampler(dut.shell, platform, t0, s.sampling.intervalMs, Boolean(sqmDevices));
      const fault = parseFault(process.env.HIL_FAULT);
      // A DUT that died or stopped answering ends the traffic at once, not when iperf3 gives up.
      const dead = new AbortController();
      const trafficSignal = AbortSignal.any([signal, dead.signal]);
      void dut.console.exited.then(() => dead.abort('the DUT console closed'));
      void sampler.gaveUp.then(() => dead.abort('the DUT stopped answering'));
      const runs: TrafficRun[] = await step('traffic', async () => {
        // A flood's thousands of entries are counted on the DUT (flood-step); dumping them each sample would stall it.
        if (s.traffic.length) sampler.start();
        const faultTimer = fault && setTimeout(() => void injectFault(fault.kind, dut, lab.names), fault.afterMs);
        teardown.push('fault timer', async () => clearTimeout(faultTimer));
        try {
          const flood = s.flood && runFloodRounds(dut.shell, lab.names, s.flood, s.sampling.intervalMs, trafficSignal, (t) => ctx.onStep('traffic', t));
          const iperf = Promise.all(s.traffic.map((t, i) => runIperf3(lab.hosts, lab.names, t, BASE_PORT + i, t0, trafficSignal)));
          const [r, fl] = await Promise.all([iperf, flood]);
          if (fl) report.flood = fl;
          return r;
        } finally {
          await sampler.stop();
        }
      });
      const endEpoch = Date.now();
      if (signal.aborted) throw new Error(`interrupted (${String(signal.reason ?? 'signal')}) during traffic`);
      if (dead.signal.aborted) {
        const why = sampler.errors[sampler.errors.length - 1] ?? (await dut.shell.run('true').then(() => String(dead.signal.reason), (e: Error) => e.message));
        throw new Error(`traffic stopped: ${String(dead.signal.reason)}: ${why}`);
      }
      if (probe && latencyCfg) report.latency = await probe.stop(t0Epoch, endEpoch, latencyCfg.warmupMs);
      if (sampler.errors.length) throw new Error(`sampling failed: ${sampler.errors[0]}`);

      await step('collect', async () => {
        const final = await takeSnapshot(dut.shell, platform, t0, Boolean(sqmDevices), !s.flood);
        const shaperBase = sqmDevices && qdiscsBefore
          ? { devices: [sqmDevices.egress, sqmDevices.ingress].filter((d): d is string => d !== null), before: qdiscsBefore } : undefined;
        report.timeline = timeline([...sampler.samples, final], shaperBase);
        report.flows = matchFlows(runs, sampler.samples);
        if (sampler.samples.length) report.sampling = sampler.stats();
        report.traffic = runs.map((r) => ({
          proto: r.spec.proto, family: r.spec.family, direction: r.spec.direction, streams: r.spec.streams,
          bitsPerSecond: Math.round(r.client.bitsPerSecond), bytes: Math.max(r.client.bytesReceived, r.client.bytesSent),
          error: r.client.error ?? null,
          intervals: r.client.intervals.map((i) => ({ tMs: Math.round(r.startedAtMs + i.endS * 1000), bitsPerSecond: i.bitsPerSecond })),
        }));
        if (s.sqm && sqmDevices && qdiscsBefore) {
          const shapers = qdiscDeltas(qdiscsBefore, await readQdiscs(dut.shell, platform));
          report.sqm = { config: s.sqm, directions: sqmDirections(s.sqm, sqmDevices, report.traffic, shapers) };
        }
        const acct = (await dut.shell.run('cat /proc/sys/net/netfilter/nf_conntrack_acct')).stdout.trim() === '1';
        report.accounting = accounting(report.flows, runs, final.conntrack, acct, final.ruleset.flowtables.some((f) => f.flags.includes('counter')));
        if (platform.systemLog) {
          report.systemLog = join(dir, 'logread.txt');
          await writeFile(report.systemLog, await platform.systemLog(dut.shell));
        }
        if (s.dut.offloadEngine) report.engine = await readEngine(dut.shell, platform.devices.lan, s.expect.engine?.drainedWithinMs);
        if (report.board) report.board.portCounters = await readPortCounters(dut.shell, platform.bin.ethtool, [platform.devices.lan, platform.devices.wan]);
        const dmesg = await dut.shell.run(platform.bin.dmesg);
        const kernelLog = parseDmesg(dmesg.stdout);
        report.kernelLog.trouble = kernelTrouble(kernelLog).map((l) => l.text);
        if (s.firewall.forwardLog) report.forwardLog = forwardLogs(report.flows, runs, kernelLog, report.timeline);
        const fwd = final.ruleset.counters.find((c) => c.comment === FORWARD_COUNTER_COMMENT);
        // A container on a kernel without flowtables is judged by what the scenario expects there.
        const expect = report.container && !report.container.flowtables.supported && s.expect.hostKernel ? s.expect.hostKernel.withoutFlowtables : s.expect;
        report.assertions = evaluate(expect, { ...report, forwardCounterPackets: fwd?.packets ?? null });
        if (s.expect.flood) report.assertions.push(...floodAssertions(s.expect.flood, report.flood));
        report.assertions.push({
          name: 'kernel log clean',
          passed: report.kernelLog.trouble.length === 0,
          expected: 'no kernel warning, BUG or oops',
          actual: report.kernelLog.trouble.length ? report.kernelLog.trouble.slice(0, 3).join(' | ') : 'clean',
        });
      });
    };
    if (ctx.measureGate) {
      if (ctx.measureGate.activeCount >= ctx.measureGate.concurrency) ctx.onStep('queued', 'waiting for a measurement slot');
      await ctx.measureGate(measure);
    } else {
      await measure();
    }
    report.status = report.assertions.every((a) => a.passed) ? 'passed' : 'failed';
    // A stream no sample ever looked at says nothing about offloading: the host was too
    // busy to observe the DUT (too many labs at once, traffic too short). Not a verdict.
    const unseen = report.flows.filter((f) => f.samplesWhileRunning === 0);
    if (report.status === 'failed' && unseen.length) {
      const took = report.sampling ? `; samples took up to ${(report.sampling.maxMs / 1000).toFixed(1)} s` : '';
      report.status = 'error';
      report.reason = `the DUT could not be observed: ${unseen.length} data stream(s) ran without a conntrack sample${took}; the host is overloaded (use fewer --jobs or longer traffic)`;
    }
  } catch (e) {
    report.status = 'error';
    const msg = (e as Error).message;
    // Whatever failed once the run was interrupted failed because of it: say that first.
    report.reason = signal.aborted && !msg.startsWith('interrupted') ? `interrupted (${String(signal.reason ?? 'signal')}) during ${current}: ${msg}` : msg;
  } finally {
    if (ctx.keep && live && !signal.aborted && (report.status === 'failed' || report.status === 'error')) {
      ctx.keep({ ...live, teardown: () => teardown.runAll() });
      kept = true;
    }
    if (!kept) ctx.onStep('teardown');
    const problems = kept ? [] : await teardown.runAll();
    const te = live?.dut.console.transcriptError;
    if (te) {
      (report.warnings ??= []).push(`console transcript incomplete: ${te}`);
      ctx.onWarning(`console transcript incomplete: ${te}`);
    }
    if (problems.length) {
      report.status = 'error';
      report.reason = [report.reason, `teardown: ${problems.join('; ')}`].filter(Boolean).join('; ');
    }
    report.durationMs = Math.round(performance.now() - started);
  }
  return report;
}
