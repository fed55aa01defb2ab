import type Docker from 'dockerode';
import { LABEL_PID, LABEL_RUN } from './image.js';
import { containerLogs } from './logs.js';

/** PID 1 that only waits: the harness works in the container by exec, as over a console. */
export const IDLE_CMD = ['/bin/sh', '-c', 'trap "exit 0" TERM; while :; do sleep 3600 & wait $!; done'];

/** The engine turns IPv6 off in a container's namespace by default; the lab routes it. */
export const IPV6_ON = { 'net.ipv6.conf.all.disable_ipv6': '0', 'net.ipv6.conf.default.disable_ipv6': '0' };

/** Whose container it is: the run, and the harness's pid (a killed harness's are reaped by the next run). */
export const ownerLabels = (runId: string) => ({ [LABEL_RUN]: runId, [LABEL_PID]: String(process.pid) });

/** A container that is not running: `what exited at once`, its exit code and last log line. Undefined while it runs. */
export async function exitedAtOnce(c: Docker.Container, what: string): Promise<Error | undefined> {
  const info = await c.inspect().catch(() => undefined);
  if (!info || info.State.Running) return undefined;
  const logs = (await containerLogs(c)).trim();
  return new Error(`${what} exited at once (exit ${info.State.ExitCode})${logs ? `: ${logs.split('\n').pop()}` : ''}`);
}
