import { nicId, type NicRole } from './qemu-profile.js';
import { Qmp } from './qmp.js';

/**
 * What QEMU's virtio introspection (x-query-virtio-queue-status, -queue-element) says of a
 * NIC's transmit ring. Read when the guest's kernel logged a transmit queue timeout (NETDEV
 * WATCHDOG): the ring's indices tell whether QEMU stopped taking what the guest posted (a
 * lab fault: the emulator's) or took and returned everything, so that a queue the guest keeps
 * stopped is the guest kernel's doing (the system under test).
 */
export interface TxRingReading {
  /** Buffers the guest made available (the avail ring's index, read from guest memory). */
  guestAvailIdx: number;
  /** The next one QEMU will take. */
  lastAvailIdx: number;
  /** Taken by QEMU and not yet handed back (its backend has not sent them). */
  inuse: number;
  /** Handed back to the guest (the used ring's index as QEMU keeps it). */
  usedIdx: number;
  /** Where QEMU last interrupted the guest for used buffers. */
  signalledUsed: number;
  vringNum: number;
  /** QEMU's own flag for a device it gave up on after a guest error. */
  broken: boolean;
  started: boolean;
}

export type TxRingState = 'moving' | 'not-taken' | 'held' | 'drained' | 'broken';

export interface TxRingReport {
  role: NicRole;
  /** Two readings, READ_GAP_MS apart: a ring that moves between them is not stuck. */
  readings: [TxRingReading, TxRingReading];
  state: TxRingState;
  /** 'lab': QEMU stopped serving the ring (the emulator's fault, not the system under test's). */
  fault: 'lab' | null;
  text: string;
}

/** virtio-net's transmit queue of its first (only) queue pair: 0 receives, 1 transmits. */
const TX_QUEUE = 1;
export const READ_GAP_MS = 500;

/** Indices are free-running 16-bit counters. */
const ahead = (a: number, b: number) => (a - b) & 0xffff;

interface QueueStatus { 'last-avail-idx': number; inuse: number; 'used-idx': number; 'signalled-used': number; 'vring-num': number }
interface QueueElement { avail: { idx: number }; used: { idx: number } }
interface DeviceStatus { broken: boolean; started: boolean }

/** The QMP answers for one ring, as QEMU gives them (fixtures keep real ones). */
export interface TxRingAnswers { status: DeviceStatus; queue: QueueStatus; element: QueueElement }

export function toReading(a: TxRingAnswers): TxRingReading {
  return {
    guestAvailIdx: a.element.avail.idx, lastAvailIdx: a.queue['last-avail-idx'], inuse: a.queue.inuse, usedIdx: a.queue['used-idx'],
    signalledUsed: a.queue['signalled-used'], vringNum: a.queue['vring-num'], broken: a.status.broken, started: a.status.started,
  };
}

/** What two readings of one ring say, in words a maintainer can act on. */
export function judgeTxRing(role: NicRole, first: TxRingReading, second: TxRingReading): TxRingReport {
  const r = (state: TxRingState, fault: TxRingReport['fault'], text: string): TxRingReport => ({ role, readings: [first, second], state, fault, text: `${role} NIC's transmit ring: ${text}` });
  const posted = ahead(second.guestAvailIdx, second.lastAvailIdx);
  const idx = `avail ${second.guestAvailIdx}, taken ${second.lastAvailIdx}, in use ${second.inuse}, used ${second.usedIdx}`;
  if (second.broken) return r('broken', 'lab', `QEMU marked the device broken (${idx})`);
  if (second.lastAvailIdx !== first.lastAvailIdx || second.usedIdx !== first.usedIdx) {
    return r('moving', null, `QEMU is taking and returning buffers (taken ${first.lastAvailIdx} -> ${second.lastAvailIdx} in ${READ_GAP_MS} ms; ${idx})`);
  }
  if (second.inuse > 0) return r('held', 'lab', `QEMU took ${second.inuse} buffer(s) and has not handed them back in ${READ_GAP_MS} ms (its network backend has not taken them; ${idx})`);
  if (posted > 0) return r('not-taken', 'lab', `the guest posted ${posted} buffer(s) that QEMU has not taken in ${READ_GAP_MS} ms (${idx})`);
  return r('drained', null, `nothing outstanding: QEMU took and returned every buffer the guest posted (${idx})`);
}

async function answers(q: Qmp, role: NicRole): Promise<TxRingAnswers> {
  const path = `/machine/peripheral/${nicId(role)}/virtio-backend`;
  const status = await q.execute<DeviceStatus>('x-query-virtio-status', { path });
  const queue = await q.execute<QueueStatus>('x-query-virtio-queue-status', { path, queue: TX_QUEUE });
  const element = await q.execute<QueueElement>('x-query-virtio-queue-element', { path, queue: TX_QUEUE });
  return { status, queue, element };
}

/** Reads each NIC's transmit ring twice, READ_GAP_MS apart, and judges it. Throws when QMP cannot tell (not a virtio NIC, QEMU gone). */
export async function readTxRings(qmpSocket: string, roles: NicRole[]): Promise<TxRingReport[]> {
  const q = await Qmp.connect(qmpSocket, 2000);
  try {
    const first: TxRingReading[] = [];
    for (const role of roles) first.push(toReading(await answers(q, role)));
    await new Promise((res) => setTimeout(res, READ_GAP_MS));
    const out: TxRingReport[] = [];
    for (const [i, role] of roles.entries()) out.push(judgeTxRing(role, first[i]!, toReading(await answers(q, role))));
    return out;
  } finally {
    q.close();
  }
}
