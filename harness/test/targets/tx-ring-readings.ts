import { readFileSync } from 'node:fs';
import { toReading, type TxRingAnswers, type TxRingReading } from '../../src/targets/tx-rings.js';

/** A real idle LAN ring, from QEMU's answers (fixtures/qmp-tx-ring-idle.json). */
export const idleReading: TxRingReading = toReading(JSON.parse(readFileSync(new URL('../fixtures/qmp-tx-ring-idle.json', import.meta.url), 'utf8')) as TxRingAnswers);

/** The indices e2e/tx-rings.test.ts's stalled backend left: QEMU keeps one buffer, 237 more wait untaken. */
export const heldReading: TxRingReading = { ...idleReading, guestAvailIdx: 348, lastAvailIdx: 111, inuse: 1, usedIdx: 110 };
