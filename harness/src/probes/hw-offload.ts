import type { Platform } from '../platforms/types.js';
import type { Shell } from '../targets/types.js';

/**
 * The kernel's own answer to `flags offload` on the DUT's devices, as firewall4's dry
 * run asks it (a throw-away table, `nft -c`): firewall4 discards this text, the report keeps it.
 */
export async function hwOffloadRefusal(shell: Shell, platform: Platform): Promise<string | null> {
  const devs = [platform.devices.lan, platform.devices.wan].join(', ');
  const rules = ['table inet hil-hw-offload-test {', '\tflowtable ft {', '\t\thook ingress priority 0;', `\t\tdevices = { ${devs} };`, '\t\tflags offload;', '\t}', '}'];
  const r = await shell.run(`printf '%s\\n' ${rules.map((l) => `'${l}'`).join(' ')} | ${platform.bin.nft} -c -f -`);
  if (r.exitCode === 0) return null;
  const err = r.stderr.split('\n').find((l) => l.includes('Error:'));
  return (err ?? r.stderr).replace(/^.*?Error: /, 'Error: ').trim();
}
