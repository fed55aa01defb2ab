import type { BootImage } from '../images/default-image.js';
import { nicId, type QemuProfile, type NicRole } from './qemu-profile.js';
import type { Accel } from './types.js';

export interface QemuArgsInput {
  name: string;
  profile: QemuProfile;
  image: BootImage;
  accel: Accel;
  /** Tap device per NIC role; roles without a tap get no NIC. */
  taps: Partial<Record<NicRole, string>>;
  withoutModules?: readonly string[];
  /** offload-hil's kernel: a flavour other than upstream (its modules replace the kernel's at boot). */
  flavour?: string;
  /** QMP socket for saving the VM's state. */
  qmpSocket?: string;
  /** With a virtio console: where the serial port (the kernel's console) is written. */
  serialLog?: string;
  /** A saved state (QEMU migration stream) to start from instead of booting. */
  incoming?: string;
}

/** Quotes for the /bin/sh that QEMU's exec: migration runs. */
export const shQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export function qemuArgs(i: QemuArgsInput): string[] {
  const append = [i.profile.append, 'panic=1'];
  if (i.withoutModules?.length) append.push(`hil.without=${i.withoutModules.join(',')}`);
  if (i.flavour && i.flavour !== 'upstream') append.push(`hil.flavour=${i.flavour}`);
  const args = [
    '-name', i.name,
    '-machine', i.profile.machine,
    '-accel', i.accel,
    '-cpu', i.profile.cpu[i.accel],
    '-m', String(i.profile.memoryMb),
    '-smp', String(i.profile.smp),
    '-nodefaults', '-no-user-config', '-display', 'none',
    // A guest panic or reboot ends QEMU, so the harness sees a closed console at once.
    '-no-reboot',
    '-chardev', 'stdio,id=con,signal=off',
  ];
  if (i.profile.console === 'virtio') {
    args.push('-device', 'virtio-serial-pci,id=vser', '-device', 'virtconsole,chardev=con,bus=vser.0');
    args.push('-serial', i.serialLog ? `file:${i.serialLog}` : 'null');
  } else {
    args.push('-serial', 'chardev:con');
  }
  // A new generation id on every start: a restored guest's kernel reseeds its RNG at once.
  if (i.profile.vmgenid) args.push('-device', 'vmgenid,guid=auto');
  if (i.qmpSocket) args.push('-qmp', `unix:${i.qmpSocket},server=on,wait=off`);
  if (i.incoming) args.push('-incoming', `exec:cat ${shQuote(i.incoming)}`);
  if (i.profile.firmware && !i.image.kernel) {
    args.push('-drive', `if=pflash,format=raw,readonly=on,file=${i.profile.firmware.code}`);
    if (i.image.firmwareVars) args.push('-drive', `if=pflash,format=raw,file=${i.image.firmwareVars}`);
  }
  if (i.image.kernel) {
    args.push('-kernel', i.image.kernel);
    if (i.image.initrd) args.push('-initrd', i.image.initrd);
    args.push('-append', append.join(' '));
  }
  (i.image.disks ?? []).forEach((d, n) => {
    args.push('-drive', `file=${d},format=qcow2,if=none,id=disk${n}`, '-device', `${i.profile.disk ?? 'virtio-blk-pci'},drive=disk${n}`);
  });
  for (const nic of i.profile.nics) {
    const tap = i.taps[nic.role];
    if (!tap) continue;
    args.push('-netdev', `tap,id=${nic.role},ifname=${tap},script=no,downscript=no`);
    args.push('-device', `${i.profile.nic},netdev=${nic.role},mac=${nic.mac},id=${nicId(nic.role)}`);
  }
  return args;
}
