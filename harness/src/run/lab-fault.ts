import { TX_TIMEOUT } from '../probes/kernel-log.js';
import type { ScenarioReport } from '../report/types.js';
import type { Dut } from '../targets/types.js';

/**
 * After the kernel log was read: a transmit queue that timed out in an emulated DUT is judged
 * by QEMU's view of the NICs' rings. A ring QEMU stopped serving is the lab's fault (the lab
 * has seen an emulated NIC's transmit queue stall under a loaded host: README, "The lab"),
 * and the scenario's verdicts then say nothing of the firmware (report.labFault).
 */
export async function checkLabFault(dut: Pick<Dut, 'txRings'>, report: ScenarioReport, warn: (text: string) => void): Promise<void> {
  if (!dut.txRings || !report.kernelLog.trouble.some((t) => t.includes(TX_TIMEOUT))) return;
  try {
    const rings = await dut.txRings();
    report.kernelLog.txRings = rings;
    const lab = rings.filter((r) => r.fault === 'lab');
    if (lab.length) {
      report.labFault = `QEMU stopped serving an emulated NIC: ${lab.map((r) => r.text).join('; ')}`;
      warn(`transmit queue timeout: ${report.labFault}`);
    } else {
      warn(`transmit queue timeout, but QEMU serves every NIC's ring (${rings.map((r) => `${r.role}: ${r.state}`).join(', ')}): no sign of a lab fault; the guest kept its queue stopped, or the stall has passed`);
    }
  } catch (e) {
    report.kernelLog.txRings = { error: (e as Error).message };
    warn(`transmit queue timeout: QEMU's view of the NICs' rings could not be read (${(e as Error).message})`);
  }
}
