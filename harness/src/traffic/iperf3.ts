import { hostAddr } from '../lab/addressing.js';
import type { LabNames } from '../lab/names.js';
import type { HostProcess, LabHosts } from '../lab/hosts.js';
import type { Traffic } from '../scenario/schema.js';
import { exec } from '../util/exec.js';
import { parseIperf3, stoppedResult, type Iperf3Result } from './iperf3-parse.js';

/** Why a stream ended, and when (ms since the traffic phase began). */
export interface StreamEnd {
  /** decided: the harness stopped it once the scenario's expectations were; duration: it ran its full time; error: iperf3 failed. */
  by: 'decided' | 'duration' | 'error';
  atMs: number;
  why: string;
}

export interface TrafficRun {
  spec: Traffic;
  port: number;
  client: Iperf3Result;
  server: Iperf3Result;
  startedAtMs: number;
  endedAtMs: number;
  end: StreamEnd;
}

export interface StreamControl {
  /** Aborted (its reason: why) when the stream may end before its duration. */
  stop?: AbortSignal;
  /** Told when the client starts, in ms since the traffic phase began. */
  onStart?: (startedAtMs: number) => void;
}

/** Through the lab's router a connection takes milliseconds; this is for one that never comes. */
const CONNECT_TIMEOUT_MS = 5000;

async function waitListening(ns: string, port: number, timeoutMs: number, signal: AbortSignal, serverDone: Promise<{ stderr: string; exitCode: number }>): Promise<void> {
  const until = performance.now() + timeoutMs;
  let ended: { stderr: string; exitCode: number } | undefined;
  void serverDone.then((r) => (ended = r));
  while (performance.now() < until) {
    if (signal.aborted) throw new Error(`interrupted (${String(signal.reason)}) while the iperf3 server on port ${port} was starting`);
    if (ended) throw new Error(`the iperf3 server on port ${port} exited ${ended.exitCode} before listening: ${ended.stderr.trim().slice(0, 200)}`);
    const r = await exec('ip', ['netns', 'exec', ns, 'ss', '-Hltn', `sport = :${port}`]);
    if (r.stdout.trim()) return;
    await new Promise((res) => setTimeout(res, 20));
  }
  throw new Error(`iperf3 server on port ${port} did not start listening within ${timeoutMs} ms`);
}

/** What the sender may still hold when the test is ended early: 4 MB of send buffer at a shaped 20 Mbit/s is 1.6 s. */
const DRAIN_TIMEOUT_MS = 3000;

/** Bytes waiting in the send queues of a port's TCP connections in a namespace (ss's Send-Q). */
async function sendQueued(ns: string, port: number): Promise<number> {
  const r = await exec('ip', ['netns', 'exec', ns, 'ss', '-Htn', 'state', 'established', `( sport = :${port} or dport = :${port} )`]);
  return r.stdout.split('\n').reduce((a, l) => a + (Number(l.trim().split(/\s+/)[1]) || 0), 0);
}

/**
 * Ends a test before its duration, the way it would have ended on its own: the sender is
 * paused (SIGSTOP) until what it has written has reached the receiver, and only then do both
 * ends stop (SIGINT, iperf3's own way to end a test early: each prints what it measured).
 * Interrupted mid-stream instead, the receiver's close answers the data still in flight with
 * a RST, the flowtable hands the flow back to the slow path, and the rest of the sender's
 * buffer crosses the forward chain and conntrack's counters (seen: ~2,200 packets for 64
 * streams, megabytes in conntrack for one): accounting and counters would judge the stop.
 */
async function endEarly(spec: Traffic, names: LabNames, port: number, client: HostProcess, server: HostProcess): Promise<{ queued: number }> {
  const [sender, side] = spec.direction === 'upload' ? [client, 'lan' as const] : [server, 'wan' as const];
  await sender.kill('SIGSTOP');
  let queued = 0;
  if (spec.proto === 'tcp') {
    const until = performance.now() + DRAIN_TIMEOUT_MS;
    while ((queued = await sendQueued(names.ns[side], port).catch(() => 0)) > 0 && performance.now() < until) await new Promise((r) => setTimeout(r, 20));
  } else {
    // A UDP sender holds no queue worth waiting for; its last datagrams are in flight for a moment.
    await new Promise((r) => setTimeout(r, 50));
  }
  // Still queued: stopped now, the rest would cross the slow path after the receiver's RST.
  // The stream goes on to its duration instead, as it would have without adaptive traffic.
  if (queued === 0) {
    // Pending while stopped, SIGINT is handled first thing after SIGCONT: no more data is written.
    await sender.kill('SIGINT');
    if (sender !== client) await client.kill('SIGINT');
  }
  await sender.kill('SIGCONT');
  return { queued };
}

/**
 * One iperf3 test: server on the WAN host, client on the LAN host (download = -R), each the
 * hosts' own iperf3 (this machine's, or the host containers' image's).
 * Traffic only ever goes to the lab's own WAN host address, inside the lab.
 */
export async function runIperf3(hosts: LabHosts, names: LabNames, spec: Traffic, port: number, t0: number, signal: AbortSignal, control: StreamControl = {}): Promise<TrafficRun> {
  const server = hosts.spawn('wan', ['iperf3', '-s', '-1', '-J', '-p', String(port)], { signal, timeoutMs: (spec.duration + 30) * 1000 });
  try {
    // Asked with this machine's ss in the WAN host's namespace: a host image needs only the traffic tools.
    await waitListening(names.ns.wan, port, 5000, signal, server.done);
    // A connection that cannot be made (no route, nothing listening) fails in seconds, not after
    // the kernel's own retries (seen: 30 s for IPv6 neighbour discovery that never answers).
    const args = ['-c', hostAddr('wan', spec.family), '-p', String(port), '-J', '-t', String(spec.duration), '-P', String(spec.streams), '--connect-timeout', String(CONNECT_TIMEOUT_MS)];
    args.push(spec.family === 'ipv6' ? '-6' : '-4');
    if (spec.proto === 'udp') args.push('-u');
    // iperf3 hands -C to the server too, so a download's sender uses it as well.
    else args.push('-C', spec.congestion);
    if (spec.bitrate !== undefined) args.push('-b', spec.bitrate);
    if (spec.direction === 'download') args.push('-R');
    const startedAtMs = performance.now() - t0;
    const proc = hosts.spawn('lan', ['iperf3', ...args], { signal, timeoutMs: (spec.duration + 20) * 1000 });
    control.onStart?.(startedAtMs);
    let stopped: { atMs: number; why: string } | undefined;
    let givenUp: string | undefined;
    let ending: Promise<void> | undefined;
    const onStop = () => {
      const atMs = Math.round(performance.now() - t0);
      stopped = { atMs, why: String(control.stop?.reason ?? 'stopped') };
      ending = endEarly(spec, names, port, proc, server).then(
        ({ queued }) => {
          if (queued > 0) givenUp = `the stop at ${(atMs / 1000).toFixed(1)} s was given up: ${queued} bytes were still in the sender's queue after ${DRAIN_TIMEOUT_MS / 1000} s`;
        },
        (e: unknown) => {
          givenUp = `the stop at ${(atMs / 1000).toFixed(1)} s failed: ${e instanceof Error ? e.message : String(e)}`;
        },
      );
    };
    if (control.stop?.aborted) onStop();
    else control.stop?.addEventListener('abort', onStop, { once: true });
    const client = await proc.done.finally(() => control.stop?.removeEventListener('abort', onStop));
    await ending;
    const endedAtMs = performance.now() - t0;
    let c = parseIperf3(client.stdout);
    const early = stopped && c.error?.startsWith('interrupt') ? stopped : undefined;
    if (!early && !c.error && client.exitCode !== 0) c.error = `iperf3 client exited ${client.exitCode}: ${client.stderr.trim()}`;
    // A client that could not connect (no route, refused) leaves the one-off server waiting for
    // the whole stream and its grace: the test is over, and says so at once. (iperf3 3.12 -J
    // exits 0 even then: the error is in its JSON.)
    if (c.error && !early) server.kill('SIGINT');
    const srv = await server.done;
    if (early) c = stoppedResult(client.stdout, srv.stdout, spec.direction);
    const end: StreamEnd = c.error
      ? { by: 'error', atMs: Math.round(endedAtMs), why: c.error }
      : early
        ? { by: 'decided', atMs: early.atMs, why: early.why }
        : { by: 'duration', atMs: Math.round(endedAtMs), why: `ran its full duration (${spec.duration} s)${givenUp ? `; ${givenUp}` : ''}` };
    return { spec, port, client: c, server: parseIperf3(srv.stdout), startedAtMs, endedAtMs, end };
  } finally {
    server.kill('SIGKILL');
    await server.done;
  }
}
