import { randomBytes } from 'node:crypto';

/** Every lab object carries the prefix, so a leak check (and the reaper) can find them. */
export const PREFIX = 'hil';

export interface LabNames {
  id: string;
  ns: { dut: string; lan: string; wan: string };
  taps: { lan: string; wan: string };
  /** With a WAN bottleneck: a bridge in the DUT's namespace joins the WAN tap to a veth whose peer is the WAN host's link. */
  modem: { bridge: string; veth: string; peer: string };
  /** A container DUT: the DUT's ends of the veth pairs whose other ends are the taps' names. */
  peers: { lan: string; wan: string };
}

export function newRunToken(): string {
  return randomBytes(3).toString('hex');
}

/** Interface names stay within IFNAMSIZ (15): "hil" + 6 hex + index + role letter. */
export function labNames(runToken: string, index: number): LabNames {
  const id = `${runToken}${index.toString(36)}`;
  return {
    id,
    ns: { dut: `${PREFIX}-${id}-dut`, lan: `${PREFIX}-${id}-lan`, wan: `${PREFIX}-${id}-wan` },
    taps: { lan: `${PREFIX}${id}l`, wan: `${PREFIX}${id}w` },
    modem: { bridge: `${PREFIX}${id}r`, veth: `${PREFIX}${id}b`, peer: `${PREFIX}${id}v` },
    peers: { lan: `${PREFIX}${id}p`, wan: `${PREFIX}${id}q` },
  };
}
