import { PassThrough, type Duplex } from 'node:stream';
import type Docker from 'dockerode';

export interface AttachedExec {
  stream: Duplex;
  /** Resolves when the exec's output ends; rejects on a stream error. */
  ended: Promise<void>;
  /** Once ended: the command's exit code, if the engine can say. */
  exitCode(): Promise<number | undefined>;
}

/**
 * An exec through the Engine API with its output attached: stdout and stderr demultiplexed
 * to the callbacks as they come.
 */
export async function attachExec(
  docker: Docker, container: Docker.Container, cmd: string[], onOut: (text: string) => void, onErr: (text: string) => void,
): Promise<AttachedExec> {
  const exec = await container.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = (await exec.start({ hijack: true, stdin: false })) as Duplex;
  const out = new PassThrough();
  const err = new PassThrough();
  out.on('data', (d: Buffer) => onOut(d.toString()));
  err.on('data', (d: Buffer) => onErr(d.toString()));
  docker.modem.demuxStream(stream, out, err);
  const ended = new Promise<void>((resolve, reject) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', reject);
  });
  return { stream, ended, exitCode: async () => (await exec.inspect().catch(() => undefined))?.ExitCode ?? undefined };
}
