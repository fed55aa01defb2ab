import { describe, expect, it } from 'vitest';
import { judgeTxRing, type TxRingReading } from '../../src/targets/tx-rings.js';
import { heldReading, idleReading as base } from './tx-ring-readings.js';

const at = (o: Partial<TxRingReading>): TxRingReading => ({ ...base, ...o });

describe('a NIC transmit ring as QEMU reports it', () => {
  it('reads the indices from QEMU\'s real answers (the avail index from guest memory)', () => {
    expect(base).toEqual({ guestAvailIdx: 5, lastAvailIdx: 5, inuse: 0, usedIdx: 5, signalledUsed: 5, vringNum: 256, broken: false, started: true });
  });

  it('an idle ring: drained, no fault', () => {
    expect(judgeTxRing('lan', base, base)).toMatchObject({ state: 'drained', fault: null });
  });

  it('posted buffers QEMU never takes: not taken, the lab\'s fault, with the count', () => {
    const stuck = at({ guestAvailIdx: 300, lastAvailIdx: 62, usedIdx: 62 });
    const r = judgeTxRing('lan', stuck, stuck);
    expect(r).toMatchObject({ state: 'not-taken', fault: 'lab' });
    expect(r.text).toContain('the guest posted 238 buffer(s) that QEMU has not taken');
  });

  it('buffers QEMU took and keeps: held, the lab\'s fault', () => {
    expect(judgeTxRing('wan', heldReading, heldReading)).toMatchObject({ role: 'wan', state: 'held', fault: 'lab' });
  });

  it('a ring that moved between the readings is not stuck, whatever it holds at the second', () => {
    const r = judgeTxRing('lan', at({ guestAvailIdx: 400, lastAvailIdx: 100, usedIdx: 100 }), at({ guestAvailIdx: 420, lastAvailIdx: 380, inuse: 1, usedIdx: 379 }));
    expect(r).toMatchObject({ state: 'moving', fault: null });
  });

  it('indices are 16-bit counters: a guest index past the wrap is ahead, not behind', () => {
    const wrapped = at({ guestAvailIdx: 4, lastAvailIdx: 65530, usedIdx: 65530 });
    expect(judgeTxRing('lan', wrapped, wrapped).text).toContain('posted 10 buffer(s)');
  });

  it('a device QEMU marked broken says so first', () => {
    const b = at({ broken: true, guestAvailIdx: 9 });
    expect(judgeTxRing('lan', b, b)).toMatchObject({ state: 'broken', fault: 'lab' });
  });
});
