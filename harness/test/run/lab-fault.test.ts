import { describe, expect, it } from 'vitest';
import { checkLabFault } from '../../src/run/lab-fault.js';
import { judgeTxRing } from '../../src/targets/tx-rings.js';
import { passedReport } from '../report/scenario-report.js';
import { heldReading as held, idleReading as idle } from '../targets/tx-ring-readings.js';

// The line Debian's 6.1 printed in the lab's stalls (harness/test/fixtures/dmesg-tx-timeout.txt).
const timeout = 'virtio_net virtio0 eth0: NETDEV WATCHDOG: CPU: 0: transmit queue 0 timed out 5684 ms';
const reportWith = (trouble: string[]) => ({ ...passedReport, kernelLog: { trouble } });

async function check(trouble: string[], txRings?: () => Promise<ReturnType<typeof judgeTxRing>[]>) {
  const report = reportWith(trouble);
  const warnings: string[] = [];
  let reads = 0;
  await checkLabFault({ txRings: txRings && (() => (reads++, txRings())) }, report, (w) => warnings.push(w));
  return { report, warnings, reads };
}

describe('a transmit queue timeout, judged by QEMU\'s view of the rings', () => {
  it('no timeout in the log: the rings are not read', async () => {
    const r = await check(['WARNING: CPU: 0 PID: 1 at net/core/dev.c:1 x'], async () => [judgeTxRing('lan', held, held)]);
    expect(r.reads).toBe(0);
    expect(r.report.labFault).toBeUndefined();
  });

  it('a ring QEMU holds: a lab fault, told as a warning and kept in the report', async () => {
    const r = await check([timeout], async () => [judgeTxRing('lan', held, held), judgeTxRing('wan', idle, idle)]);
    expect(r.report.labFault).toMatch(/^QEMU stopped serving an emulated NIC: lan NIC's transmit ring: QEMU took 1 buffer/);
    expect(r.report.kernelLog.txRings).toHaveLength(2);
    expect(r.warnings).toEqual([`transmit queue timeout: ${r.report.labFault}`]);
  });

  it('every ring served: no lab fault, and the warning says the guest\'s queue is the one to look at', async () => {
    const r = await check([timeout], async () => [judgeTxRing('lan', idle, idle), judgeTxRing('wan', idle, idle)]);
    expect(r.report.labFault).toBeUndefined();
    expect(r.warnings[0]).toMatch(/QEMU serves every NIC's ring \(lan: drained, wan: drained\): no sign of a lab fault/);
  });

  it('rings that cannot be read: said, and no lab fault claimed', async () => {
    const r = await check([timeout], async () => Promise.reject(new Error('QMP socket /x: ENOENT')));
    expect(r.report.kernelLog.txRings).toEqual({ error: 'QMP socket /x: ENOENT' });
    expect(r.report.labFault).toBeUndefined();
    expect(r.warnings[0]).toContain('could not be read (QMP socket /x: ENOENT)');
  });

  it('a DUT with no emulator (a board, a container): nothing to read', async () => {
    const r = await check([timeout]);
    expect(r.report.kernelLog.txRings).toBeUndefined();
    expect(r.warnings).toEqual([]);
  });
});
