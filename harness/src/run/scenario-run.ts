import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { LimitFunction } from 'p-limit';
import type { Platform } from '../platforms/types.js';
import { Sampler } from '../probes/snapshot.js';
import type { ScenarioReport } from '../report/types.js';
import { rateBits, type Scenario } from '../scenario/schema.js';
import type { AccelChoice } from '../targets/accel.js';
import type { ConsoleDut } from '../targets/types.js';
import type { LabNames } from '../lab/names.js';
import { runIperf3, type TrafficRun } from '../traffic/iperf3.js';
import { LatencyProbe } from '../traffic/ping.js';
import { TeardownStack } from './teardown.js';
import { injectFault, parseFault } from './faults.js';
import { runFloodRounds } from './flood-step.js';
import type { LiveLab, ScenarioContext } from './context.js';
import { preparePlatform } from './platform-step.js';
import { markTrafficStart, readQdiscs } from './caveat-probes.js';
import { createLab, NotApplicable, targetFor } from './dut-target.js';
import { configureDut } from './configure-step.js';
import { collect, forwardPackets } from './collect-step.js';
import { TrafficStop } from './traffic-stop.js';
import { verdictStatus } from './verdict-status.js';
import { expectationsFor } from '../expect/for-kernel.js';

const BASE_PORT = 5201;

/** A report before anything ran: status error until a step says otherwise. */
export function emptyReport(s: Scenario): ScenarioReport {
  return {
    name: s.name, file: s.file, status: 'error', durationMs: 0, accel: null, boot: null,
    offload: { requested: s.offload, effective: null, fallback: false, warning: null, kernelError: null },
    flows: [], traffic: [], assertions: [], timeline: [], kernelLog: { trouble: [] }, steps: [], transcript: null,
  };
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
  // Told as it comes and kept in the report (its pages, JUnit, annotations), in one place.
  const warn = (text: string) => {
    (report.warnings ??= []).push(text);
    ctx.onWarning(text);
  };
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
    const target = targetFor(ctx.dutImage);
    const lab = await step('lab', () => createLab(ctx, target, report.hostsLog ?? ''));
    teardown.push('lab', () => lab.destroy());
    if (lab.hostContainers) report.hosts = lab.hostContainers.info;
    const { dut, boot } = await step('boot', () => target.start(ctx, lab, report.transcript!, report.bottleneck));
    teardown.push(target.stopName, () => dut.stop());
    live = { scenario: s.name, names: lab.names, dut, ...(lab.hostContainers && { hostPids: lab.hostContainers.pids }) };
    target.describe(dut, report);
    report.accel = dut.accel;
    report.accelReason = dut.accelReason;
    // The boot's warnings join the scenario's, kept once.
    const { warnings: bootWarnings, ...booted } = boot;
    report.boot = booted;
    ctx.onStep('boot', `${dut.accel} ${boot.kind} ${(dut.bootMs / 1000).toFixed(1)} s`);
    for (const w of bootWarnings) warn(w);

    const platform: Platform = await step('platform', async () => preparePlatform(s, await target.platform(s, dut), dut, report));
    // The hosts' side (host ip/tc) and the DUT's own (its console) need nothing of each other.
    await step('wire', async () => {
      await Promise.all([lab.wireHosts(report.bottleneck), platform.configureNetwork(dut.shell)]);
    });

    const { sqmDevices, ruleset } = await step('configure', () => configureDut(s, target, dut, platform, report));

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
      const qdiscsBefore = sqmDevices && await readQdiscs(dut.shell, platform);
      if (s.firewall.forwardLog) await markTrafficStart(dut.shell);

      const t0 = performance.now();
      const t0Epoch = Date.now();
      const stopper = new TrafficStop(expectationsFor(s, report), s.traffic, s.traffic.map((_, i) => BASE_PORT + i), t0, {
        fixed: Boolean(ctx.fixedDuration), shell: dut.shell, ethtool: platform.bin.ethtool, latencyWarmupMs: latencyCfg?.warmupMs,
        ...(s.dut.offloadEngine && { enginePort: platform.devices.lan }),
        forwardCounter: (x) => forwardPackets(x.ruleset),
        ...(probe && latencyCfg && { latency: () => probe!.sofar(t0Epoch, latencyCfg.warmupMs) }),
      });
      // Nothing between the configure step's reading and the traffic changes the ruleset.
      const sampler = new Sampler({
        shell: dut.shell, platform, t0, intervalMs: s.sampling.intervalMs, qdiscs: Boolean(sqmDevices), counters: s.firewall.forwardCounter,
        onSample: stopper.onSample, startRuleset: ruleset,
      });
      const fault = parseFault(process.env.HIL_FAULT);
      // A DUT that died or stopped answering ends the traffic at once, not when iperf3 gives up.
      const dead = new AbortController();
      const trafficSignal = AbortSignal.any([signal, dead.signal]);
      void dut.console.exited.then(() => dead.abort('the DUT console closed'));
      void sampler.gaveUp.then(() => dead.abort('the DUT stopped answering'));
      const runs: TrafficRun[] = await step('traffic', async () => {
        // A flood's thousands of entries are counted on the DUT (flood-step); dumping them each sample would stall it.
        if (s.traffic.length) await sampler.start();
        const faultTimer = fault && setTimeout(() => void injectFault(fault.kind, dut, lab.names), fault.afterMs);
        teardown.push('fault timer', async () => clearTimeout(faultTimer));
        try {
          const flood = s.flood && runFloodRounds(dut.shell, lab.names, s.flood, s.sampling.intervalMs, trafficSignal, (t) => ctx.onStep('traffic', t));
          const iperf = Promise.all(s.traffic.map((t, i) => runIperf3(lab.hosts, lab.names, t, BASE_PORT + i, t0, trafficSignal, stopper.controls[i])));
          const [r, fl] = await Promise.all([iperf, flood]);
          if (fl) report.flood = fl;
          stopper.explain(r);
          if (stopper.stopped) report.trafficStop = stopper.stopped;
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

      await step('collect', () => collect({ s, dut, platform, report, dir, t0, sampler, runs, warn, shaper: sqmDevices && qdiscsBefore && { devices: sqmDevices, before: qdiscsBefore } }));
    };
    if (ctx.measureGate) {
      if (ctx.measureGate.activeCount >= ctx.measureGate.concurrency) ctx.onStep('queued', 'waiting for a measurement slot');
      await ctx.measureGate(measure);
    } else {
      await measure();
    }
    Object.assign(report, verdictStatus(report));
  } catch (e) {
    report.status = e instanceof NotApplicable ? 'skipped' : 'error';
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
      warn(`console transcript incomplete: ${te}`);
    }
    if (problems.length) {
      report.status = 'error';
      report.reason = [report.reason, `teardown: ${problems.join('; ')}`].filter(Boolean).join('; ');
    }
    report.durationMs = Math.round(performance.now() - started);
  }
  return report;
}
