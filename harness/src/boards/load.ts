import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseYamlWith, ScenarioError } from '../scenario/load.js';
import { UserError } from '../util/errors.js';
import { addSecret } from '../util/redact.js';
import { boardSchema, type Board, type SecretRef } from './schema.js';

async function readSecret(ref: SecretRef | undefined, what: string, dir: string): Promise<string | undefined> {
  if (ref === undefined) return undefined;
  let value: string;
  if (typeof ref === 'string') value = ref;
  else if ('env' in ref) {
    const v = process.env[ref.env];
    if (v === undefined) throw new UserError(`${what}: the environment variable ${ref.env} is not set`, 2);
    value = v;
  } else {
    const path = resolve(dir, ref.file);
    value = (await readFile(path, 'utf8').catch((e: NodeJS.ErrnoException) => {
      throw new UserError(`${what}: cannot read ${path}: ${e.code ?? e.message}`, 2);
    })).replace(/\r?\n$/, '');
  }
  if (value.length < 3) throw new UserError(`${what}: a secret shorter than 3 characters cannot be kept out of logs`, 2);
  addSecret(value);
  return value;
}

/** A board description; paths in it (key file, secret files) are its own folder's. */
export async function loadBoard(file: string, flashImage?: string): Promise<Board> {
  const path = resolve(file);
  const text = await readFile(path, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new ScenarioError([{ file, line: 0, col: 0, path: '', message: `cannot read: ${e.code ?? e.message}` }]);
  });
  const cfg = parseYamlWith(boardSchema, text, file);
  const dir = dirname(path);
  const ssh = cfg.ssh && { ...cfg.ssh, keyFile: cfg.ssh.keyFile && resolve(dir, cfg.ssh.keyFile) };
  // --flash: an image given on the command line, relative to where hil runs.
  const flash = flashImage !== undefined
    ? { command: 'sysupgrade -n {file}', timeoutMs: 300_000, ...cfg.flash, image: resolve(flashImage) }
    : cfg.flash && { ...cfg.flash, image: cfg.flash.image && resolve(dir, cfg.flash.image) };
  if (flash && !ssh) throw new ScenarioError([{ file, line: 0, col: 0, path: 'flash', message: 'flashing pushes the image over SSH: give ssh' }]);
  return {
    ...cfg,
    ssh,
    flash,
    file: path,
    secrets: {
      consolePassword: await readSecret(cfg.console?.login?.password, `${file}: console.login.password`, dir),
      sshPassword: await readSecret(cfg.ssh?.password, `${file}: ssh.password`, dir),
      passphrase: await readSecret(cfg.ssh?.passphrase, `${file}: ssh.passphrase`, dir),
    },
  };
}
