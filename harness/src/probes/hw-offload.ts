import type { Platform } from '../platforms/types.js';
import type { Shell } from '../targets/types.js';

async function tryOffload(shell: Shell, platform: Platform, devices: string[]): Promise<string | null> {
  const rules = ['table inet hil-hw-offload-test {', '\tflowtable ft {', '\t\thook ingress priority 0;', `\t\tdevices = { ${devices.join(', ')} };`, '\t\tflags offload;', '\t}', '}'];
  const r = await shell.run(`printf '%s\\n' ${rules.map((l) => `'${l}'`).join(' ')} | ${platform.bin.nft} -c -f -`);
  if (r.exitCode === 0) return null;
  const err = r.stderr.split('\n').find((l) => l.includes('Error:'));
  return (err ?? r.stderr).replace(/^.*?Error: /, 'Error: ').trim();
}

/**
 * The kernel's own answer to `flags offload` on the DUT's devices, as firewall4's dry
 * run asks it (a throw-away table, `nft -c`): firewall4 discards this text, the report
 * keeps it, for the whole device set and for each device alone (which one refused).
 */
export async function hwOffloadRefusal(shell: Shell, platform: Platform, devices: string[]): Promise<{ error: string | null; byDevice: Record<string, string | null> }> {
  const error = await tryOffload(shell, platform, devices);
  const byDevice: Record<string, string | null> = {};
  if (error) for (const d of devices) byDevice[d] = await tryOffload(shell, platform, [d]);
  return { error, byDevice };
}
