import type { Shell } from '../targets/types.js';

/**
 * Whether the kernel under the container can hold a flowtable at all, asked of the kernel
 * itself: a throwaway table with a device-less flowtable in the container's own network
 * namespace. Its error ("No such file or directory": no nf_flow_table) is the reason.
 */
export async function probeFlowtables(shell: Shell, nft = '/usr/sbin/nft'): Promise<{ supported: boolean; error?: string }> {
  const r = await shell.run(
    `${nft} add table inet hil_probe && ${nft} add flowtable inet hil_probe ft '{ hook ingress priority 0; }'; rc=$?; ${nft} delete table inet hil_probe 2>/dev/null; exit $rc`,
  );
  if (r.exitCode === 0) return { supported: true };
  return { supported: false, error: r.stderr.trim().split('\n')[0] ?? `exit ${r.exitCode}` };
}
