import { cpus, freemem } from 'node:os';
import pLimit from 'p-limit';
import { prepareBoards, type PreparedBoards } from './board-step.js';
import { prepareContainers } from './container-step.js';
import type { Board } from '../boards/schema.js';
import { access, constants, mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { UserError } from '../util/errors.js';
import { loadDefaultImage } from '../images/default-image.js';
import { reapOrphans } from '../lab/lab.js';
import { newRunToken } from '../lab/names.js';
import type { RunReport, ScenarioReport } from '../report/types.js';
import type { Scenario } from '../scenario/schema.js';
import { chooseAccel } from '../targets/accel.js';
import { loadProfile } from '../targets/qemu-profile.js';
import { Reporters, type Reporter } from './events.js';
import { checkPrerequisites } from './prerequisites.js';
import { DutBooter } from './dut-boot.js';
import { prepareHostImages, prepareImages, type ContainerImage } from './dut-image.js';
import type { ImageRef } from '../images/image-ref.js';
import { SnapshotStore } from '../snapshots/store.js';
import { emptyReport, runScenario } from './scenario-run.js';
import type { ScenarioContext } from './context.js';
import type { KernelFlavour, KernelSeries } from '../scenario/schema.js';
import { withRetries } from './retry.js';

export interface RunOptions {
  scenarios: Scenario[];
  outDir: string;
  runId: string;
  jobs?: number;
  /** How many labs may run traffic and measure at once; the others wait, booted (`--measure-jobs`). */
  measureJobs?: number;
  /** Overrides every scenario's target.image (`hil run --image`). */
  image?: ImageRef;
  /** Runs every scenario on this board (`hil run --board`). */
  board?: Board;
  /** Boot every scenario cold: no snapshot is used or saved. */
  cold?: boolean;
  /** Every stream runs its full duration (`--fixed-duration`), not until the expectations are decided. */
  fixedDuration?: boolean;
  /** Overrides every scenario's dut.kernelFlavour (`hil run --kernel-flavour`). */
  kernelFlavour?: KernelFlavour;
  /** Overrides every scenario's dut.kernel (`hil run --kernel`). */
  kernel?: KernelSeries;
  /** Rerun a failed or errored scenario up to this many times; a later pass is marked flaky. */
  retries?: number;
  /** `hil shell`: passed to the scenario run (see ScenarioContext). */
  interactive?: ScenarioContext['interactive'];
  /** `--keep-on-failure`: passed to every scenario run. */
  keep?: ScenarioContext['keep'];
  /**
   * Called once the reports are written, before the run gives back the Docker engine it started
   * and the boards it locked: labs kept by `keep` live on them until it resolves.
   */
  hold?: () => Promise<void>;
  /** Recorded in the report: the scenarios given are already this shard's. */
  shard?: { index: number; count: number; of: number };
  reporters: Reporter[];
  /** A report that could not be written (a reporter failed): the run's outcome is incomplete. */
  onProblem?: (text: string) => void;
  signal: AbortSignal;
}

/** Node says ENOENT for mkdir -p under a read-only mount; the nearest existing parent says why. */
async function whyNotCreated(dir: string, e: NodeJS.ErrnoException): Promise<string> {
  if (e.code !== 'ENOENT') return e.code ?? e.message;
  for (let d = dirname(dir); d !== dirname(d); d = dirname(d)) {
    const st = await stat(d).catch(() => undefined);
    if (!st) continue;
    if (!st.isDirectory()) return `${d} is not a folder`;
    return access(d, constants.W_OK).then(() => 'ENOENT', (x: NodeJS.ErrnoException) => `${d}: ${x.code ?? x.message}`);
  }
  return 'ENOENT';
}

/** Two TCG guests per core saturate it; memory: 256 MiB guest + QEMU's own. */
export function defaultJobs(): number {
  return Math.max(1, Math.min(cpus().length, Math.floor(freemem() / (512 * 1024 * 1024))));
}

/**
 * Labs measured at once. Measured here: 4 labs measuring at once on 2 cores gave correct
 * verdicts, 8 did not (bench/jobs.sh); one per core leaves room for labs booting beside them.
 */
export function defaultMeasureJobs(): number {
  return Math.max(1, cpus().length);
}

export async function run(o: RunOptions): Promise<RunReport> {
  const started = Date.now();
  const jobs = o.jobs ?? defaultJobs();
  const measureJobs = Math.min(jobs, o.measureJobs ?? defaultMeasureJobs());
  const measureGate = pLimit(measureJobs);
  const reporters = new Reporters(o.reporters, o.onProblem);
  await mkdir(o.outDir, { recursive: true }).catch(async (e: NodeJS.ErrnoException) => {
    throw new UserError(`cannot create the report folder ${o.outDir}: ${await whyNotCreated(o.outDir, e)}`, 2);
  });
  await access(o.outDir, constants.W_OK).catch((e: NodeJS.ErrnoException) => {
    throw new UserError(`cannot write to the report folder ${o.outDir}: ${e.code ?? e.message}`, 2);
  });
  await checkPrerequisites();
  await reapOrphans();
  const images = await prepareImages(o.scenarios, o.image, (t) => process.stderr.write(`hil: ${t}\n`), o.board, o.kernel);
  const hostImages = await prepareHostImages(o.scenarios);
  const containers = await prepareContainers(images, hostImages, o.runId, (t) => process.stderr.write(`hil: ${t}\n`));
  const token = newRunToken();
  // From here on the engine this run may have started, and the boards it locked, are given back whatever happens.
  let boards: PreparedBoards | undefined;
  try {
    boards = await prepareBoards(images, o.runId, token, o.outDir);
    const { gates: boardGates, flashes } = boards;
    // The accelerator is probed with the default image; other images use the same verdict.
    const accel = await chooseAccel(await loadProfile('x86-64'), await loadDefaultImage());
    await reporters.emit('onRunStart', { runId: o.runId, outDir: o.outDir, scenarios: o.scenarios, jobs });

    const booter = new DutBooter(o.cold ? null : new SnapshotStore());
    const results: ScenarioReport[] = new Array(o.scenarios.length);
    let next = 0;
    const worker = async () => {
      while (next < o.scenarios.length) {
        const i = next++;
        const s = o.scenarios[i]!;
        const di = images[i]!;
        results[i] = o.signal.aborted
          ? { ...emptyReport(s), status: 'skipped', reason: `interrupted (${String(o.signal.reason)}) before start` }
          : di.kind === 'error'
            ? { ...emptyReport(s), reason: di.reason }
            : await (di.kind === 'board' ? boardGates.get(di.board.file)! : (f: () => Promise<ScenarioReport>) => f())(() => withRetries(() => runScenario({
              scenario: s, index: i, runToken: token, outDir: o.outDir, dutImage: di,
              // A hosts image that could not be had has made the scenario an error above; what is left is imported or absent.
              hostsImage: hostImages[i] as ContainerImage | undefined, accel, booter,
              kernelFlavour: o.kernelFlavour, kernel: o.kernel, fixedDuration: o.fixedDuration, signal: o.signal, onStep: (step, detail) => reporters.emit('onStep', s, step, detail),
              onWarning: (text) => reporters.emit('onWarning', s, text), interactive: o.interactive, keep: o.keep, measureGate,
            }), o.retries ?? 0, o.signal, (text) => reporters.emit('onWarning', s, text)));
        await reporters.emit('onScenarioEnd', results[i]!);
      }
    };
    await Promise.all(Array.from({ length: Math.min(jobs, o.scenarios.length) }, worker));
    const report: RunReport = {
      version: 1, runId: o.runId, startedAt: new Date(started).toISOString(), durationMs: Date.now() - started,
      host: { node: process.version, jobs, measureJobs }, ...(o.shard && { shard: o.shard }), ...(o.retries && { retries: o.retries }), ...(flashes.length && { flash: flashes }), scenarios: results,
    };
    await reporters.emit('onRunEnd', report);
    await o.hold?.();
    return report;
  } finally {
    await boards?.release();
    await containers.cleanup();
  }
}
