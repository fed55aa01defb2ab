import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UserError } from '../util/errors.js';

/** parseArgs, with its complaints as one-line usage errors (exit 2) instead of stacks. */
export function parseArgsOr<const T extends ParseArgsConfig>(config: T, usage: string): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (e) {
    throw new UserError(`${(e as Error).message}\n${usage}`);
  }
}
