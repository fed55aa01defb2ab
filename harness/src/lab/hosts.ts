import type { Readable } from 'node:stream';
import { execa } from 'execa';
import type { LabNames } from './names.js';

export type HostSide = 'lan' | 'wan';
export type HostSignal = 'SIGINT' | 'SIGKILL' | 'SIGSTOP' | 'SIGCONT';

/** A traffic tool running on a lab host: its output as it comes, its end, and signals. */
export interface HostProcess {
  stdout: Readable;
  done: Promise<{ stdout: string; stderr: string; exitCode: number }>;
  /** Never rejects; a process already gone is left alone. Resolves once the signal is sent. */
  kill(signal: HostSignal): Promise<void>;
}

export interface SpawnOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

/**
 * Where the lab's LAN and WAN hosts run their traffic tools (iperf3, ping): this machine's
 * own, in the lab's bare namespaces, or a container image's, in the containers whose network
 * namespaces the lab's names point at.
 */
export interface LabHosts {
  kind: 'namespaces' | 'containers';
  spawn(side: HostSide, argv: string[], opts?: SpawnOptions): HostProcess;
}

/** This machine's tools in the lab's namespaces. */
export function namespaceHosts(names: LabNames): LabHosts {
  return {
    kind: 'namespaces',
    spawn(side, argv, opts = {}) {
      const p = execa('ip', ['netns', 'exec', names.ns[side], ...argv], {
        reject: false, cancelSignal: opts.signal, timeout: opts.timeoutMs,
      });
      return {
        stdout: p.stdout!,
        done: p.then((r) => ({ stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? ''), exitCode: r.exitCode ?? 128 })),
        kill: async (sig) => void p.kill(sig),
      };
    },
  };
}
