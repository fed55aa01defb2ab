import { connect } from 'node:net';
import { execa } from 'execa';
import { parseImageOption } from '../images/image-ref.js';
import { consoleReporter } from '../report/console.js';
import { jsonReporter } from '../report/json.js';
import { run } from '../run/run.js';
import type { LiveLab } from '../run/context.js';
import { loadScenarios } from '../scenario/load.js';
import { listSessions, Session, type SessionInfo } from '../session/session.js';
import { joinTerminal, type ConsoleIo } from '../session/terminal.js';
import { onStopSignals } from '../util/stop-signals.js';
import { UserError } from '../util/errors.js';
import { parseArgsOr, parseFlavour, parseKernel } from './args.js';
import { loadBoard } from '../boards/load.js';

/** How to reach a live lab, printed when one is handed to a person. */
export function howToReach(id: string): string {
  return [
    `  hil attach ${id}              the DUT console (Ctrl-] detaches, the lab stays)`,
    `  hil exec --session ${id} lan -- CMD    a command on the LAN host (wan: the WAN host)`,
    `  hil down ${id}                tear it down`,
  ].join('\n');
}

/** The one session a command means: by id (or a run id that is its prefix), or the only one alive. */
export async function pickSessions(id: string | undefined, many = false): Promise<SessionInfo[]> {
  const all = await listSessions();
  if (!all.length) throw new UserError('no live lab: start one with `hil shell SCENARIO` or `hil run --keep-on-failure`', 1);
  const hit = id === undefined ? all : all.filter((s) => s.id === id || s.id.startsWith(`${id}-`));
  if (!hit.length) throw new UserError(`no live lab "${id}"; live: ${all.map((s) => s.id).join(', ')}`, 1);
  if (hit.length > 1 && !many) throw new UserError(`several live labs; name one: ${hit.map((s) => `${s.id} (${s.scenario})`).join(', ')}`, 2);
  return hit;
}

async function request(info: SessionInfo, what: 'attach' | 'down'): Promise<import('node:net').Socket> {
  const sock = connect(info.socket);
  await new Promise<void>((res, rej) => sock.once('connect', res).once('error', (e) => rej(new UserError(`lab ${info.id}: ${e.message}`, 1))));
  sock.write(`${what}\n`);
  const answer = await new Promise<string>((res) => {
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString('utf8');
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      sock.off('data', onData);
      // Anything after "ok" is already console output.
      if (nl + 1 < buf.length) sock.unshift(Buffer.from(buf.slice(nl + 1)));
      res(buf.slice(0, nl));
    };
    sock.on('data', onData);
    sock.once('close', () => res(buf));
  });
  if (answer !== 'ok') throw new UserError(`lab ${info.id}: ${answer.trim() || 'the lab closed the connection'}`, 1);
  return sock;
}

/** `hil shell SCENARIO`: the scenario's lab, configured, with the DUT console on this terminal. */
export async function shellCmd(argv: string[], outDir: string, runId: string): Promise<number> {
  const { values, positionals } = parseArgsOr(
    { args: argv, allowPositionals: true, options: { image: { type: 'string' }, board: { type: 'string' }, cold: { type: 'boolean' }, 'kernel-flavour': { type: 'string' }, kernel: { type: 'string' } } },
    'usage: hil shell [--image REF | --board FILE] [--cold] [--kernel 6.1|6.12] [--kernel-flavour upstream|openwrt] SCENARIO',
  );
  if (values.board && values.image) throw new UserError('give --board or --image, not both: a board runs its own firmware');
  if (positionals.length !== 1) throw new UserError('shell needs exactly one scenario file');
  const scenarios = await loadScenarios(positionals);
  if (scenarios.length !== 1) throw new UserError(`shell needs one scenario; ${positionals[0]} holds ${scenarios.length}`);
  const image = values.image === undefined ? undefined : parseImageOption(values.image, process.cwd());
  const ac = new AbortController();
  let live: Session | undefined;
  // Ctrl-C while the lab comes up, a kill, or the terminal closing (SIGHUP): torn down, not left.
  const stopListening = onStopSignals((sig) => {
    if (live) void live.end();
    else if (!ac.signal.aborted) {
      process.stderr.write(`\nhil: ${sig}: stopping, tearing the lab down\n`);
      ac.abort(sig);
    }
  });
  const interactive = async (lab: LiveLab) => {
    const session = new Session(runId, lab.scenario, lab.names.ns, lab.dut.console, lab.hostPids);
    await session.start();
    live = session;
    try {
      process.stderr.write(`hil: ${lab.scenario} is up and configured (lab ${runId}); this terminal is the DUT console.\n` +
        `hil: Ctrl-] detaches and tears the lab down. From another terminal:\n${howToReach(runId).split('\n').slice(1).join('\n')}\n`);
      const io: ConsoleIo = session.console();
      const how = await joinTerminal(io, Promise.race([session.down, session.dutGone]));
      process.stderr.write(`\nhil: ${{ detached: 'detached', ended: 'the lab was stopped', closed: 'the terminal closed' }[how]}; tearing it down\n`);
    } finally {
      live = undefined;
      await session.end();
    }
  };
  try {
    const report = await run({
      scenarios, outDir, runId, jobs: 1, cold: values.cold, image, kernelFlavour: parseFlavour(values['kernel-flavour']), kernel: parseKernel(values.kernel),
      board: values.board === undefined ? undefined : await loadBoard(values.board),
      signal: ac.signal, interactive, reporters: [consoleReporter(process.stdout, process.stderr, false), jsonReporter(outDir)],
    });
    const s = report.scenarios[0]!;
    return s.status === 'skipped' ? 0 : 1;
  } finally {
    stopListening();
  }
}

/** `hil exec [--session ID] lan|wan -- CMD...`: runs on the lab host (its namespace, or its container), stdio joined. */
export async function execCmd(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgsOr({ args: argv, allowPositionals: true, options: { session: { type: 'string' } } }, 'usage: hil exec [--session ID] lan|wan -- CMD [ARGS...]');
  const [where, ...cmd] = positionals;
  if ((where !== 'lan' && where !== 'wan') || !cmd.length) throw new UserError('usage: hil exec [--session ID] lan|wan -- CMD [ARGS...]');
  const [info] = await pickSessions(values.session);
  const pid = info!.hostPids?.[where];
  // A container host: its image's tools, in all its namespaces (and its root), as `docker exec` would.
  const r = pid
    ? await execa('nsenter', ['--target', String(pid), '--all', '--root', '--wd', '--', ...cmd], { stdio: 'inherit', reject: false })
    : await execa('ip', ['netns', 'exec', info!.ns[where], ...cmd], { stdio: 'inherit', reject: false });
  return r.exitCode ?? 1;
}

/** `hil attach [ID]`: a kept lab's DUT console on this terminal. */
export async function attachCmd(args: string[]): Promise<number> {
  const [info] = await pickSessions(args[0]);
  const sock = await request(info!, 'attach');
  process.stderr.write(`hil: attached to ${info!.id} (${info!.scenario}); Ctrl-] detaches, the lab stays up\n`);
  const closed = new Promise<void>((r) => sock.once('close', r));
  const io: ConsoleIo = {
    write: (d) => void sock.write(d),
    onData: (l) => {
      const f = (d: Buffer) => l(d.toString('utf8'));
      sock.on('data', f);
      return () => sock.off('data', f);
    },
  };
  const how = await joinTerminal(io, closed);
  sock.end();
  process.stderr.write(`\nhil: ${{ detached: 'detached', ended: 'the lab went away', closed: 'the terminal closed; the lab stays up' }[how]}\n`);
  return 0;
}

/** `hil down [ID|RUN]`: ends kept labs (all of a run when given its id). */
export async function downCmd(args: string[]): Promise<number> {
  const hit = await pickSessions(args[0], true);
  for (const info of hit) {
    const sock = await request(info, 'down');
    sock.end();
    process.stdout.write(`down: ${info.id} (${info.scenario})\n`);
  }
  return 0;
}

export async function sessionsCmd(): Promise<number> {
  const all = await listSessions();
  process.stdout.write(all.length ? all.map((s) => `${s.id}  ${s.scenario}  pid ${s.pid}  since ${s.startedAt}`).join('\n') + '\n' : 'no live labs\n');
  return 0;
}

export type HeldLab = Parameters<NonNullable<Parameters<typeof run>[0]['keep']>>[0];

/** --keep-on-failure: failed labs stay up, reachable, until each is downed or a signal comes. */
export async function holdLabs(id: string, held: HeldLab[], signal: AbortSignal): Promise<void> {
  const sessions = await Promise.all(held.map(async (h) => {
    const s = new Session(`${id}-${h.scenario}`, h.scenario, h.names.ns, h.dut.console, h.hostPids);
    await s.start();
    return { s, h };
  }));
  process.stderr.write(`\nhil: kept ${held.length} failed lab(s) up; Ctrl-C tears them all down, or:\n` +
    sessions.map(({ s, h }) => `${h.scenario}:\n${howToReach(s.info.id)}`).join('\n') + '\n');
  const aborted = new Promise<void>((r) => (signal.aborted ? r() : signal.addEventListener('abort', () => r(), { once: true })));
  await Promise.all(sessions.map(async ({ s, h }) => {
    await Promise.race([s.down, s.dutGone, aborted]);
    await s.end();
    const problems = await h.teardown();
    process.stderr.write(`hil: ${h.scenario}: lab torn down${problems.length ? ` (${problems.join('; ')})` : ''}\n`);
  }));
}
