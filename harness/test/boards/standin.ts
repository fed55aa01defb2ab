import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, writeFile, appendFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { loadDefaultImage } from '../../src/images/default-image.js';

const root = new URL('../../../', import.meta.url).pathname;
export const POWER = join(root, 'harness/test/boards/standin-power.mjs');

/** The stand-in's own LAN address: beside the 192.168.1.1 the harness gives the DUT, so both can be there. */
export const STANDIN_LAN = '192.168.1.254';

/**
 * The guest side: a factory-default LAN address, dropbear on it, and a console that asks
 * for Enter and then gives a root shell, again and again, like OpenWrt's procd.
 */
const BOARD_SCRIPT = `#!/bin/sh
ip link set eth0 up
ip link set eth1 up
ip addr add ${STANDIN_LAN}/24 dev eth0
mkdir -p /dev/pts && mount -t devpts devpts /dev/pts
mkdir -p /var/log
# The flash (a virtio disk): its first line names the firmware that sysupgrade last wrote.
[ -b /dev/vda ] && head -c 256 /dev/vda | tr -d '\\000' | head -n 1 > /etc/hil-firmware
[ -f /etc/dropbear/host_key ] && /usr/sbin/dropbear -r /etc/dropbear/host_key -p 22 -E 2>/tmp/dropbear.log
export PS1='root@board:~# '
while :; do
  printf '\\nPlease press Enter to activate this console.\\n'
  read -r _ || sleep 1
  /bin/sh -i
done </dev/console >/dev/console 2>&1
`;

export interface StandinOptions {
  /** Short id: names the namespace, the cables and the VM. */
  id: string;
  serial: 'pty' | 'tcp';
  /** Root's password for SSH; without it, no SSH server runs. */
  password?: string;
  tcpPort?: number;
  /** A flash disk and a sysupgrade that writes it and reboots (or, brick: powers off and needs a power cycle). */
  flash?: 'reboots' | 'brick';
}

export interface Standin {
  dir: string;
  cables: { lan: string; wan: string };
  /** The serial device path (a symlink to QEMU's pty while powered on). */
  tty: string;
  tcpPort?: number;
  /** OpenSSH fingerprint of the stand-in's host key. */
  hostKey?: string;
  powerOn: string;
  powerOff: string;
  destroy(): Promise<void>;
}

/** Copies a binary and the libraries ldd names into the staging root. */
async function copyWithLibs(stage: string, file: string): Promise<void> {
  await mkdir(join(stage, dirname(file)), { recursive: true });
  await copyFile(file, join(stage, file));
  const libs = (await execa('ldd', [file])).stdout.split('\n').map((l) => /=> (\/\S+)/.exec(l)?.[1] ?? /^\s*(\/\S+)/.exec(l)?.[1]).filter((x): x is string => Boolean(x));
  for (const lib of libs) {
    await mkdir(join(stage, dirname(lib)), { recursive: true });
    await copyFile(lib, join(stage, lib));
  }
}

/**
 * A QEMU VM that stands in for a router on the desk: the default image plus a second
 * initramfs (dropbear, the board script), its console on a host pty or a TCP port, its two
 * NICs (taps moved into a namespace of its own) bridged to veth pairs whose other ends are
 * this machine's "cables". Power commands
 * start and stop it; the board target drives it through the code paths a real board uses.
 */
export async function createStandin(o: StandinOptions): Promise<Standin> {
  const dir = await mkdtemp(join(tmpdir(), `hilsb-${o.id}-`));
  const ns = `hil-sb-${o.id}`;
  const cables = { lan: `hilsb${o.id}l`, wan: `hilsb${o.id}w` };
  const stage = join(dir, 'stage');
  await mkdir(join(stage, 'etc/hil'), { recursive: true });
  await mkdir(join(stage, 'sbin'), { recursive: true });
  await writeFile(join(stage, 'etc/hil/board'), BOARD_SCRIPT);
  await chmod(join(stage, 'etc/hil/board'), 0o755);
  let hostKey: string | undefined;
  if (o.password) {
    await copyWithLibs(stage, '/usr/sbin/dropbear');
    await mkdir(join(stage, 'etc/dropbear'), { recursive: true });
    await execa('dropbearkey', ['-t', 'ed25519', '-f', join(stage, 'etc/dropbear/host_key')]);
    const pub = (await execa('dropbearkey', ['-y', '-f', join(stage, 'etc/dropbear/host_key')])).stdout.split('\n').find((l) => l.startsWith('ssh-'))!;
    hostKey = `SHA256:${createHash('sha256').update(Buffer.from(pub.split(' ')[1]!, 'base64')).digest('base64').replace(/=+$/, '')}`;
    const hash = (await execa('openssl', ['passwd', '-6', o.password])).stdout.trim();
    await writeFile(join(stage, 'etc/shadow'), `root:${hash}:19000:0:99999:7:::\n`);
    await writeFile(join(stage, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  }
  if (o.flash) {
    await writeFile(join(stage, 'sbin/sysupgrade'), `#!/bin/sh
# The stand-in's sysupgrade: the image goes to the flash disk, then the board restarts into it.
[ "$1" = -n ] && shift
dd if="$1" of=/dev/vda bs=4096 2>/dev/null && sync || exit 1
echo "Commencing upgrade. Closing all shell sessions."
{ sleep 1; ${o.flash === 'brick' ? 'poweroff -f' : 'reboot -f'}; } >/dev/null 2>&1 </dev/null &
`, { mode: 0o755 });
    await writeFile(join(dir, 'flash.img'), Buffer.alloc(1024 * 1024));
  }
  const image = await loadDefaultImage();
  const initrd = join(dir, 'initramfs.cpio');
  await copyFile(image.initrd!, initrd);
  // newc archives may follow one another; the kernel unpacks them in order, later files winning.
  const size = (await readFile(initrd)).length;
  if (size % 4) await appendFile(initrd, Buffer.alloc(4 - (size % 4)));
  const extra = await execa('sh', ['-c', 'find . | busybox cpio -o -H newc 2>/dev/null'], { cwd: stage, encoding: 'buffer' });
  await appendFile(initrd, extra.stdout as Uint8Array);

  await execa('ip', ['netns', 'add', ns]);
  const taps: Record<string, { tap: string; bridge: string }> = {};
  for (const side of ['lan', 'wan'] as const) {
    const tap = `sb${o.id}t${side[0]}`;
    const br = `sb${o.id}b${side[0]}`;
    const peer = `sb${o.id}p${side[0]}`;
    taps[side] = { tap, bridge: br };
    await execa('ip', ['-n', ns, 'link', 'add', br, 'type', 'bridge']);
    await execa('ip', ['link', 'add', cables[side], 'type', 'veth', 'peer', 'name', peer]);
    await execa('ip', ['link', 'set', peer, 'netns', ns]);
    await execa('ip', ['-n', ns, 'link', 'set', peer, 'master', br]);
    for (const l of [peer, br]) await execa('ip', ['-n', ns, 'link', 'set', l, 'up']);
  }
  const tty = join(dir, 'ttyBOARD');
  const serial = o.serial === 'pty' ? 'pty' : `tcp:127.0.0.1:${o.tcpPort},server=on,wait=off`;
  const append = 'console=ttyS0 panic=1 quiet';
  const qemu = [
    'qemu-system-x86_64', '-name', `hil-standin-${o.id}`, '-machine', 'q35', '-accel', 'tcg', '-cpu', 'max,-erms,-fsrm', '-m', '256', '-smp', '1',
    '-nodefaults', '-no-user-config', '-display', 'none',
    ...(o.flash ? ['-drive', `file=${join(dir, 'flash.img')},format=raw,if=virtio`] : []),
    '-kernel', image.kernel!, '-initrd', initrd, '-append', append, '-serial', serial,
    '-netdev', `tap,id=lan,ifname=sb${o.id}tl,script=no,downscript=no`, '-device', 'virtio-net-pci,netdev=lan,mac=52:54:00:5b:00:01',
    '-netdev', `tap,id=wan,ifname=sb${o.id}tw,script=no,downscript=no`, '-device', 'virtio-net-pci,netdev=wan,mac=52:54:00:5b:00:02',
    '-daemonize', '-pidfile', join(dir, 'qemu.pid'),
  ];
  await writeFile(join(dir, 'standin.json'), JSON.stringify({ ns, qemu, tty, taps }));
  const cmd = (what: string) => `node ${POWER} ${what} ${dir}`;
  return {
    dir, cables, tty, tcpPort: o.tcpPort, hostKey, powerOn: cmd('on'), powerOff: cmd('off'),
    destroy: async () => {
      await execa('node', [POWER, 'off', dir], { reject: false });
      await execa('ip', ['netns', 'del', ns], { reject: false });
      for (const c of Object.values(cables)) await execa('ip', ['link', 'del', c], { reject: false });
      await rm(dir, { recursive: true, force: true });
    },
  };
}
