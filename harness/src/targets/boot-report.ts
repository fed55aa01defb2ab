/** How the DUT came up: booted, restored, powered on or started, and whose kernel runs it. */
export interface BootReport {
  /** board: powered on (or found on) and reached, not booted by the harness's QEMU. */
  kind: 'cold' | 'snapshot' | 'board' | 'container';
  /** Start of QEMU to a DUT shell that answers (for a snapshot: including the clock and RNG reset). */
  ms: number;
  guest: Record<string, string>;
  /** restored: started from it; saved: this cold boot created it; none: neither; disabled: --cold. */
  snapshot: { key: string | null; action: 'restored' | 'saved' | 'none' | 'disabled'; saveMs?: number; note?: string };
  warnings: string[];
  /**
   * Whose kernel ran: offload-hil's (the default image, or a root filesystem tarball booted on
   * it), the image's own (a disk image or kernel file), a board's, or the host's (a container).
   */
  kernel?: BootKernel;
}

export interface BootKernel {
  by: 'offload-hil' | 'image' | 'board' | 'host';
  /** uname -r, as the DUT said it. */
  release: string;
  /** offload-hil's kernel: which Linux series it is (dut.kernel / --kernel). */
  series?: string;
  /** offload-hil's kernel: the Debian package it came from. */
  package?: string;
  version?: string;
  /** offload-hil's kernel: upstream Linux's behaviour, or OpenWrt's (patch 701: a device refusing hardware offload does not fail the flowtable). */
  flavour?: 'upstream' | 'openwrt';
  /** The flavour of a kernel offload-hil did not build (an image's, a board's): inferred from the system, not chosen. */
  flavourAssumed?: boolean;
}
