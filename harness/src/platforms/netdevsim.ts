import { subshell, type Shell } from '../targets/types.js';

export interface NetdevsimConfig {
  ports: number;
  hwTcOffload: boolean;
}

export interface NetdevsimPorts {
  ports: string[];
  /** hw-tc-offload as ethtool reads it back from each port. */
  hwTcOffload: Record<string, boolean>;
  /**
   * The ports that carry the lab's traffic (Linux 6.9+ links netdevsim ports, so frames pass):
   * nsim0 is the router's LAN port, nsim1 its WAN port, each linked to a peer port wired to
   * the virtio NIC the lab host is on. Absent: the kernel cannot link them, they stand beside.
   */
  carrying?: { lan: string; wan: string };
}

/** The netdevsim device id the harness uses; one per DUT. */
const DEV_ID = 7;

/** Whether this kernel's netdevsim can link two ports so that frames pass (Linux 6.9+). */
export async function netdevsimCanLink(shell: Shell): Promise<boolean> {
  return (await shell.run('/sbin/modprobe netdevsim && [ -e /sys/bus/netdevsim/link_device ]')).exitCode === 0;
}

/**
 * Gives the DUT netdevsim ports (drivers/net/netdevsim, built for the default image at
 * setup) named nsim0..N-1, with hw-tc-offload set as asked. In 6.1 they cannot pass
 * traffic between each other; they exist to be put into a flowtable and asked for offload.
 * With `carry` (a kernel that links ports), two more, nsimpeer0/1, are linked to nsim0/1 and
 * wired to eth0/eth1 by tc redirects both ways: the lab host's frames reach the router on
 * nsim0 and leave it on nsim1, so the flowtable's netdevsim ports carry the traffic.
 */
export async function createNetdevsim(shell: Shell, cfg: NetdevsimConfig, bin: { ip: string; tc: string }, carry = false): Promise<NetdevsimPorts> {
  const dir = `/sys/bus/netdevsim/devices/netdevsim${DEV_ID}/net`;
  const onOff = cfg.hwTcOffload ? 'on' : 'off';
  const total = cfg.ports + (carry ? 2 : 0);
  // The peers are the last two ports made; each wire is eth<i> <-> nsimpeer<i>, redirected at ingress.
  const wire = (i: number) => [
    `${bin.ip} link set nsim${cfg.ports + i} name nsimpeer${i}`,
    `/usr/sbin/ethtool -K nsimpeer${i} hw-tc-offload off`,
    `echo 1 > /proc/sys/net/ipv6/conf/eth${i}/disable_ipv6`,
    `${bin.ip} link set eth${i} promisc on up`,
    `${bin.ip} link set nsimpeer${i} up`,
    `exec 3</proc/self/ns/net && echo "3:$(cat /sys/class/net/nsim${i}/ifindex) 3:$(cat /sys/class/net/nsimpeer${i}/ifindex)" > /sys/bus/netdevsim/link_device`,
    ...[[`eth${i}`, `nsimpeer${i}`], [`nsimpeer${i}`, `eth${i}`]].flatMap(([from, to]) => [
      `${bin.tc} qdisc add dev ${from} handle ffff: ingress`,
      `${bin.tc} filter add dev ${from} parent ffff: protocol all u32 match u32 0 0 action mirred egress redirect dev ${to}`,
    ]),
  ];
  const r = await shell.run(
    subshell([
      '/sbin/modprobe netdevsim',
      `echo "${DEV_ID} ${total}" > /sys/bus/netdevsim/new_device`,
      `i=0; until [ "$(ls ${dir} 2>/dev/null | wc -l)" -ge ${total} ]; do i=$((i+1)); [ $i -gt 50 ] && { echo "netdevsim ports did not appear" >&2; exit 1; }; sleep 0.1; done`,
      `n=0; for d in $(ls ${dir}); do ${bin.ip} link set "$d" name nsim$n || exit 1; n=$((n+1)); done`,
      `n=0; while [ $n -lt ${cfg.ports} ]; do /usr/sbin/ethtool -K nsim$n hw-tc-offload ${onOff} && ${bin.ip} link set nsim$n up || exit 1; n=$((n+1)); done`,
      ...(carry ? [...wire(0), ...wire(1)] : []),
      `for d in $(ls ${dir}); do case $d in nsimpeer*) continue ;; esac; printf '%s ' "$d"; /usr/sbin/ethtool -k "$d" | sed -n 's/^hw-tc-offload: \\([a-z]*\\).*/\\1/p'; done`,
    ].join(' && ')),
  );
  if (r.exitCode !== 0) throw new Error(`creating netdevsim ports failed: ${(r.stderr || r.stdout).trim().split('\n').pop()}`);
  const hwTcOffload: Record<string, boolean> = {};
  for (const line of r.stdout.split('\n')) {
    const [dev, state] = line.trim().split(/\s+/);
    if (dev && state) hwTcOffload[dev] = state === 'on';
  }
  return { ports: Object.keys(hwTcOffload).sort(), hwTcOffload, ...(carry && { carrying: { lan: 'nsim0', wan: 'nsim1' } }) };
}
