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

/** `--kernel-flavour upstream|openwrt`: undefined when not given. */
export function parseFlavour(v: string | undefined): KernelFlavour | undefined {
  if (v === undefined) return undefined;
  if (!(KERNEL_FLAVOURS as readonly string[]).includes(v)) throw new UserError(`--kernel-flavour must be ${KERNEL_FLAVOURS.join(' or ')}, not "${v}"`);
  return v as KernelFlavour;
}

/** `--kernel 6.1|6.12`: undefined when not given. */
export function parseKernel(v: string | undefined): KernelSeries | undefined {
  if (v === undefined) return undefined;
  if (!(KERNEL_SERIES as readonly string[]).includes(v)) throw new UserError(`--kernel must be ${KERNEL_SERIES.join(' or ')}, not "${v}"`);
  return v as KernelSeries;
}
