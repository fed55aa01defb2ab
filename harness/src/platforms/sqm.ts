import { rateBits, type Sqm } from '../scenario/schema.js';

/** Where the shapers sit: the root qdisc of these devices (null: that direction is not shaped). */
export interface SqmDevices {
  egress: string | null;
  ingress: string | null;
}

const kbit = (rate: string) => Math.round(rateBits(rate) / 1000);

/** sqm-scripts names the ingress device after the interface it shapes. */
export const ifbName = (wan: string) => `ifb4${wan}`.slice(0, 15);

/**
 * The qdisc trees sqm-scripts builds, as tc commands: piece_of_cake.qos (a cake root,
 * besteffort) or simple.qos's shape reduced to one class (htb root, a rate-limited class,
 * an fq_codel leaf). Ingress: WAN's ingress qdisc redirects every packet to an ifb with
 * a u32 match-all and mirred, and the shaper sits on the ifb's root.
 */
export function sqmTcCommands(sqm: Sqm, wan: string, tc: string, ip: string): { commands: string[]; devices: SqmDevices } {
  const shaper = (dev: string, rate: string, ingress: boolean): string[] =>
    sqm.qdisc === 'cake'
      ? [`${tc} qdisc replace dev ${dev} root cake bandwidth ${kbit(rate)}kbit besteffort${ingress ? ' ingress' : ''}`]
      : [
          `${tc} qdisc replace dev ${dev} root handle 1: htb default 10`,
          `${tc} class add dev ${dev} parent 1: classid 1:1 htb rate ${kbit(rate)}kbit`,
          `${tc} class add dev ${dev} parent 1:1 classid 1:10 htb rate ${kbit(rate)}kbit ceil ${kbit(rate)}kbit`,
          `${tc} qdisc add dev ${dev} parent 1:10 handle 110: fq_codel`,
        ];
  const commands: string[] = [];
  const ifb = ifbName(wan);
  if (sqm.egress) commands.push(...shaper(wan, sqm.egress, false));
  if (sqm.ingress) {
    commands.push(
      `${ip} link add name ${ifb} type ifb`,
      `${ip} link set ${ifb} up`,
      ...shaper(ifb, sqm.ingress, true),
      `${tc} qdisc add dev ${wan} handle ffff: ingress`,
      `${tc} filter add dev ${wan} parent ffff: protocol all prio 10 u32 match u32 0 0 flowid 1:1 action mirred egress redirect dev ${ifb}`,
    );
  }
  return { commands, devices: { egress: sqm.egress ? wan : null, ingress: sqm.ingress ? ifb : null } };
}

export const SQM_PACKAGE = 'sqm-scripts';

/**
 * sqm-scripts' own configuration (/etc/config/sqm), applied by its init script: on OpenWrt
 * the harness shapes the way a user would. The queue section already written for the WAN
 * interface is the one used (OpenWrt's default config has `config queue 'eth1'`, disabled):
 * a second section for the same interface would leave which one wins to sqm-scripts' order.
 * Rates are in kbit/s; 0 leaves that direction unshaped, as sqm-scripts reads it.
 */
export function sqmUciCommands(sqm: Sqm, wan: string): { commands: string[]; devices: SqmDevices } {
  const set = (k: string, v: string | number) => `uci set "sqm.$s.${k}=${v}"`;
  return {
    commands: [
      `s=$(uci -q show sqm | sed -n "s/^sqm\\.\\([^.]*\\)\\.interface='${wan}'$/\\1/p" | head -n 1)`,
      '{ [ -n "$s" ] || { s=hil; uci set sqm.hil=queue; }; }',
      set('enabled', 1),
      set('interface', wan),
      set('upload', sqm.egress ? kbit(sqm.egress) : 0),
      set('download', sqm.ingress ? kbit(sqm.ingress) : 0),
      set('qdisc', sqm.qdisc),
      set('script', sqm.qdisc === 'cake' ? 'piece_of_cake.qos' : 'simple.qos'),
      set('linklayer', 'none'),
      'uci commit sqm',
      '/etc/init.d/sqm restart',
    ],
    devices: { egress: sqm.egress ? wan : null, ingress: sqm.ingress ? ifbName(wan) : null },
  };
}
