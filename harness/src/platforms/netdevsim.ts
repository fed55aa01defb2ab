import type { Shell } from '../targets/types.js';

export interface NetdevsimConfig {
  ports: number;
  hwTcOffload: boolean;
}

export interface NetdevsimPorts {
  ports: string[];
  /** hw-tc-offload as ethtool reads it back from each port. */
  hwTcOffload: Record<string, boolean>;
}

/** The netdevsim device id the harness uses; one per DUT. */
const DEV_ID = 7;

/**
 * Gives the DUT netdevsim ports (drivers/net/netdevsim, built for the default image at
 * setup) named nsim0..N-1, with hw-tc-offload set as asked. In 6.1 they cannot pass
 * traffic between each other; they exist to be put into a flowtable and asked for offload.
 */
export async function createNetdevsim(shell: Shell, cfg: NetdevsimConfig, bin: { ip: string }): Promise<NetdevsimPorts> {
  const dir = `/sys/bus/netdevsim/devices/netdevsim${DEV_ID}/net`;
  const onOff = cfg.hwTcOffload ? 'on' : 'off';
  const r = await shell.run(
    [
      '/sbin/modprobe netdevsim',
      `echo "${DEV_ID} ${cfg.ports}" > /sys/bus/netdevsim/new_device`,
      `i=0; until [ "$(ls ${dir} 2>/dev/null | wc -l)" -ge ${cfg.ports} ]; do i=$((i+1)); [ $i -gt 50 ] && { echo "netdevsim ports did not appear" >&2; exit 1; }; sleep 0.1; done`,
      `n=0; for d in $(ls ${dir}); do ${bin.ip} link set "$d" name nsim$n && /usr/sbin/ethtool -K nsim$n hw-tc-offload ${onOff} && ${bin.ip} link set nsim$n up || exit 1; n=$((n+1)); done`,
      `for d in $(ls ${dir}); do printf '%s ' "$d"; /usr/sbin/ethtool -k "$d" | sed -n 's/^hw-tc-offload: \\([a-z]*\\).*/\\1/p'; done`,
    ].join(' && '),
  );
  if (r.exitCode !== 0) throw new Error(`creating netdevsim ports failed: ${(r.stderr || r.stdout).trim().split('\n').pop()}`);
  const hwTcOffload: Record<string, boolean> = {};
  for (const line of r.stdout.split('\n')) {
    const [dev, state] = line.trim().split(/\s+/);
    if (dev && state) hwTcOffload[dev] = state === 'on';
  }
  return { ports: Object.keys(hwTcOffload).sort(), hwTcOffload };
}
