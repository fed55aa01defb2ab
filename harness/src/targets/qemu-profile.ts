import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { repoRoot } from '../util/paths.js';
import { UserError } from '../util/errors.js';

export const NIC_ROLES = ['lan', 'wan'] as const;
export type NicRole = (typeof NIC_ROLES)[number];

/** The NIC's QEMU device id: QMP finds its virtio rings by it (targets/tx-rings.ts). */
export const nicId = (role: NicRole): string => `nic-${role}`;

const profileSchema = z.object({
  $comment: z.string().optional(),
  name: z.string(),
  binary: z.string(),
  machine: z.string(),
  cpu: z.object({ kvm: z.string(), tcg: z.string() }),
  memoryMb: z.number().int().positive(),
  smp: z.number().int().positive(),
  nic: z.string(),
  /** A vmgenid device (x86 ACPI): its new id on every start makes a restored guest reseed its RNG. */
  vmgenid: z.boolean().default(false),
  /**
   * Where the harness's console is: the first serial port, or a virtio console (hvc0), which
   * moves bytes through a ring instead of one emulated UART interrupt each (round trip 1.9 ms
   * instead of 5.4 ms). With virtio, the serial port (the kernel's console) goes to a file
   * beside the transcript. No shipped profile uses virtio: in one of seven suite runs the
   * agent's output stalled for 20 s under two loaded guests (QEMU's stdio backend and
   * virtconsole flow control, not yet understood), which a CI gate cannot afford.
   */
  console: z.enum(['serial', 'virtio']).default('serial'),
  /** Device model for disk images (they are attached as a qcow2 overlay). */
  disk: z.string().optional(),
  /** UEFI firmware: read-only code and a variable store template copied per run. */
  firmware: z.object({ code: z.string(), vars: z.string() }).optional(),
  /** Kernel arguments, for images booted from a kernel file. */
  append: z.string(),
  nics: z.array(z.object({ role: z.enum(NIC_ROLES), mac: z.string().regex(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/) })),
});
export type QemuProfile = z.infer<typeof profileSchema>;

export async function loadProfile(name: string): Promise<QemuProfile> {
  const file = join(repoRoot, 'qemu', `${name}.json`);
  const text = await readFile(file, 'utf8').catch(() => {
    throw new UserError(`unknown QEMU profile "${name}" (no ${file})`);
  });
  return profileSchema.parse(JSON.parse(text));
}
