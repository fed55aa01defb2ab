import { parseArgsOr, parseFlavour, parseKernel } from './args.js';
import { join, resolve } from 'node:path';
import { cacheCmd } from './cache.js';
import { doctorCmd } from './doctor.js';
import { attachCmd, downCmd, execCmd, holdLabs, sessionsCmd, shellCmd, type HeldLab } from './session.js';
import { guardStdio, onStopSignals } from '../util/stop-signals.js';
import { reexecRootless, wantsRootless } from '../util/rootless.js';
import { reportCmd } from './report.js';
import { parseImageOption } from '../images/image-ref.js';
import { consoleReporter } from '../report/console.js';
import { githubReporter } from '../report/github.js';
import { htmlReporter } from '../report/html.js';
import { jsonReporter } from '../report/json.js';
import { junitReporter } from '../report/junit.js';
import { loadScenarios, ScenarioError } from '../scenario/load.js';
import { scenarioJsonSchema } from '../scenario/json-schema.js';
import { run } from '../run/run.js';
import { parseShard, selectShard } from '../run/shard.js';
import { UserError } from '../util/errors.js';
import { loadBoard } from '../boards/load.js';
import { repoRoot } from '../util/paths.js';

const USAGE = `usage:
  hil run [--out DIR] [--jobs N] [--measure-jobs N] [--board FILE [--flash IMAGE]] [--cold] [--fixed-duration] [--image REF] [--kernel 6.1|6.12] [--kernel-flavour F] [--shard I/N] [--retries N] SCENARIO_OR_FOLDER...
                        run scenarios (on the default image unless --image or the scenario's
                        target.image names another: a path, URL#sha256=HEX, or
                        kernel=REF,rootfs=REF); on the default image the first scenario per DUT
                        configuration saves the booted VM, later ones restore it
                        (--cold: boot every scenario, use and save no snapshot)
                        traffic ends once every expectation of the scenario is decided
                        (between a stream's minDuration and its duration); --fixed-duration:
                        every stream runs its full duration
                        --kernel 6.1|6.12: which Linux offload-hil's kernel is (Debian's 6.1,
                        or bookworm-backports' 6.12, built on first use); overrides dut.kernel
                        --kernel-flavour upstream|openwrt: how offload-hil's kernel treats a
                        device that refuses hardware offload: upstream fails the flowtable,
                        openwrt (OpenWrt's patch 701) keeps it; overrides dut.kernelFlavour
                        --board FILE: run on the board that FILE describes (docs/boards.md),
                        not a VM; one run per board at a time
                        --flash IMAGE: first flash the board with IMAGE over SSH
                        (sysupgrade; the board file's flash section says how and checks it)
                        --jobs N: labs at once (default: cores, bounded by memory)
                        --measure-jobs N: of those, how many run traffic and measure at
                        once (default: cores); the others wait booted, so a slow host
                        makes the run slower, not its verdicts wrong
                        --shard I/N: only the I-th of N slices (by name, round-robin), for CI jobs
                        --retries N: rerun a failed scenario up to N times; a later pass is
                        reported FLAKY (exit 0), a scenario failing every attempt fails
                        --keep-on-failure: leave failed labs up (see attach, exec, down)
                        --rootless: run inside a user+network+mount namespace of its own (the
                        default when not root; HIL_ROOTLESS=1 forces it)
  hil shell [--image REF | --board FILE] [--cold] [--kernel 6.1|6.12] [--kernel-flavour F] SCENARIO
                        build the scenario's lab, apply its configuration, and make this
                        terminal the DUT console (Ctrl-] detaches and tears the lab down)
  hil exec [--session ID] lan|wan -- CMD...   run CMD on a live lab's LAN or WAN host
  hil attach [ID]                      a live lab's DUT console on this terminal (Ctrl-] detaches)
  hil down [ID|RUN]                    tear down a kept lab (or all of a run's)
  hil sessions                         live labs: shells and kept failures
  hil validate SCENARIO_OR_FOLDER...   check scenario files, run nothing
  hil report merge --out DIR REPORT...  one report.json, junit.xml and report.html from sharded runs'
                                       report.json files (or their folders); exit 1 if any failed
  hil doctor                           check this host (root, qemu, KVM, iperf3, namespaces, docker,
                                       the default image); one fix per problem
  hil schema                           print the scenario files' JSON Schema (scenarios/scenario.schema.json)
  hil cache ls                         saved VM states: key, size, age
  hil cache prune [--all | KEY...]     delete snapshots (no argument: down to HIL_SNAPSHOT_CACHE_MB)
exit codes: 0 all passed, 1 a scenario failed or errored, or a report or transcript could not be
            written (disk full), 2 usage, scenario file or report folder errors,
            130/143 interrupted by SIGINT/SIGTERM (a partial report is written)`;

/** The CLI script to run again inside the namespaces. */
function hilEntry(): string {
  return join(repoRoot, 'harness', 'bin', 'hil.js');
}

function runId(): string {
  const d = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${d}-${process.pid}`;
}

export async function main(argv: string[]): Promise<number> {
  guardStdio();
  const [cmd, ...rest] = argv;
  try {
    if (cmd === 'run') {
      // Without root (or with --rootless) the whole run goes into namespaces of its own.
      const flag = rest.includes('--rootless');
      if (wantsRootless(process.env, flag)) return await reexecRootless([hilEntry(), ...argv]);
      return await runCmd(rest.filter((a) => a !== '--rootless'));
    }
    if (cmd === 'validate') return await validateCmd(rest);
    if (cmd === 'doctor') return await doctorCmd();
    if (cmd === 'shell') {
      const id = runId();
      return await shellCmd(rest, join(repoRoot, 'reports', id), id);
    }
    if (cmd === 'exec') return await execCmd(rest);
    if (cmd === 'attach') return await attachCmd(rest);
    if (cmd === 'down') return await downCmd(rest);
    if (cmd === 'sessions') return await sessionsCmd();
    if (cmd === 'report') return await reportCmd(rest);
    if (cmd === 'schema') {
      process.stdout.write(`${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`);
      return 0;
    }
    if (cmd === 'cache') return await cacheCmd(rest);
    process.stderr.write(`${cmd && cmd !== '--help' && cmd !== '-h' ? `hil: unknown command "${cmd}"\n` : ''}${USAGE}\n`);
    return cmd === '--help' || cmd === '-h' ? 0 : 2;
  } catch (e) {
    if (e instanceof ScenarioError) {
      process.stderr.write(`${e.message}\nhil: ${e.issues.length} problem(s) in scenario files; nothing was started\n`);
      return 2;
    }
    if (e instanceof UserError) {
      process.stderr.write(`hil: ${e.message}\n`);
      return e.exitCode;
    }
    process.stderr.write(`hil: ${(e as Error).stack ?? e}\n`);
    return 2;
  }
}

async function validateCmd(args: string[]): Promise<number> {
  if (!args.length) throw new UserError(`validate needs scenario files or folders\n${USAGE}`);
  const s = await loadScenarios(args);
  process.stdout.write(s.map((x) => `ok ${x.file} (${x.name})`).join('\n') + '\n');
  return 0;
}

async function runCmd(args: string[]): Promise<number> {
  const { values, positionals } = parseArgsOr({ args, allowPositionals: true, options: {
      out: { type: 'string' }, jobs: { type: 'string' }, cold: { type: 'boolean' }, 'fixed-duration': { type: 'boolean' }, image: { type: 'string' },
      shard: { type: 'string' }, retries: { type: 'string' }, 'keep-on-failure': { type: 'boolean' }, 'measure-jobs': { type: 'string' },
      board: { type: 'string' }, flash: { type: 'string' }, 'kernel-flavour': { type: 'string' }, kernel: { type: 'string' },
    } }, USAGE);
  if (!positionals.length) throw new UserError(`run needs scenario files or folders\n${USAGE}`);
  const jobs = values.jobs === undefined ? undefined : Number(values.jobs);
  if (jobs !== undefined && !(Number.isInteger(jobs) && jobs >= 1)) throw new UserError(`--jobs must be a positive integer, not "${values.jobs}"`);
  const measureJobs = values['measure-jobs'] === undefined ? undefined : Number(values['measure-jobs']);
  if (measureJobs !== undefined && !(Number.isInteger(measureJobs) && measureJobs >= 1)) throw new UserError(`--measure-jobs must be a positive integer, not "${values['measure-jobs']}"`);
  const retries = values.retries === undefined ? 0 : Number(values.retries);
  if (!(Number.isInteger(retries) && retries >= 0)) throw new UserError(`--retries must be a non-negative integer, not "${values.retries}"`);
  const shard = values.shard === undefined ? undefined : parseShard(values.shard);
  const all = await loadScenarios(positionals);
  if (values.board && values.image) throw new UserError('give --board or --image, not both: a board runs its own firmware');
  if (values.flash && !values.board) throw new UserError('--flash needs --board: it flashes that board before its scenarios');
  const image = values.image === undefined ? undefined : parseImageOption(values.image, process.cwd());
  const kernelFlavour = parseFlavour(values['kernel-flavour']);
  const kernel = parseKernel(values.kernel);
  const board = values.board === undefined ? undefined : await loadBoard(values.board, values.flash);
  const scenarios = shard ? selectShard(all, shard) : all;
  if (shard) process.stderr.write(`hil: shard ${shard.index}/${shard.count}: ${scenarios.length} of ${all.length} scenario(s)${scenarios.length ? `: ${scenarios.map((x) => x.name).join(', ')}` : ''}\n`);
  const id = runId();
  const outDir = resolve(values.out ?? join(repoRoot, 'reports', id));

  const ac = new AbortController();
  const keptDown = new AbortController();
  let signalled: NodeJS.Signals | undefined;
  let keeping = false;
  const onSignal = (sig: NodeJS.Signals) => {
    if (keeping) {
      process.stderr.write(`\nhil: ${sig}: tearing the kept labs down\n`);
      return keptDown.abort(sig);
    }
    if (signalled) return;
    signalled = sig;
    process.stderr.write(`\nhil: ${sig}: stopping, tearing labs down, writing a partial report\n`);
    ac.abort(sig);
  };
  const held: HeldLab[] = [];
  const problems: string[] = [];
  const stopListening = onStopSignals(onSignal);
  try {
    const report = await run({
      scenarios, outDir, runId: id, jobs, measureJobs, board, cold: values.cold, fixedDuration: values['fixed-duration'], kernelFlavour, kernel, retries, shard: shard && { ...shard, of: all.length }, image, signal: ac.signal,
      reporters: [consoleReporter(), jsonReporter(outDir), junitReporter(outDir), htmlReporter(outDir), githubReporter()],
      keep: values['keep-on-failure'] ? (h) => held.push(h) : undefined,
      // Inside the run: a kept lab's container engine and board stay the run's until it is down.
      hold: async () => {
        if (!held.length) return;
        keeping = true;
        await holdLabs(id, held, keptDown.signal);
      },
      onProblem: (text) => problems.push(text),
    });
    problems.push(...report.scenarios.flatMap((s) => (s.warnings ?? []).filter((w) => w.startsWith('console transcript incomplete')).map((w) => `${s.name}: ${w}`)));
    // As a shell reports a death by that signal: 128 + its number.
    if (signalled) return ({ SIGHUP: 129, SIGINT: 130, SIGTERM: 143 } as Record<string, number>)[signalled] ?? 1;
    if (problems.length) {
      // Verdicts nobody can read are no verdicts: CI must not go green on them.
      process.stderr.write(`hil: the run's output is incomplete (exit 1):\n${problems.map((p) => `  ${p}`).join('\n')}\n`);
      return 1;
    }
    return report.scenarios.every((s) => s.status === 'passed' || s.status === 'skipped') ? 0 : 1;
  } finally {
    stopListening();
  }
}
