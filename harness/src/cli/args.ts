import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UserError } from '../util/errors.js';
import { KERNEL_FLAVOURS, KERNEL_SERIES, type KernelFlavour, type KernelSeries } from '../scenario/schema.js';

/** parseArgs, with its complaints as one-line usage errors (exit 2) instead of stacks. */
export function parseArgsOr<const T extends ParseArgsConfig>(config: T, usage: string): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (e) {
    throw new UserError(`${(e as Error).message}\n${usage}`);
  }
}

/** A flag that takes one of a fixed set of values: undefined when not given. */
function oneOf<T extends string>(flag: string, choices: readonly T[], v: string | undefined): T | undefined {
  if (v === undefined) return undefined;
  if (!(choices as readonly string[]).includes(v)) throw new UserError(`${flag} must be ${choices.join(' or ')}, not "${v}"`);
  return v as T;
}

/** `--kernel-flavour upstream|openwrt`. */
export const parseFlavour = (v: string | undefined): KernelFlavour | undefined => oneOf('--kernel-flavour', KERNEL_FLAVOURS, v);

/** `--kernel 6.1|6.12`. */
export const parseKernel = (v: string | undefined): KernelSeries | undefined => oneOf('--kernel', KERNEL_SERIES, v);
