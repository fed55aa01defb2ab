import { randomBytes } from 'node:crypto';

/** Every lab object carries the prefix, so a leak check (and the reaper) can find them. */
export const PREFIX = 'hil';

export interface LabNames {
  id: string;
  ns: { dut: string; lan: string; wan: string };
  taps: { lan: string; wan: string };
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
  };
}
