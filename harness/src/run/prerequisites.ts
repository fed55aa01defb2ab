import { exec } from '../util/exec.js';
import { UserError } from '../util/errors.js';

const NEEDED: { bin: string; args: string[]; pkg: string }[] = [
  { bin: 'qemu-system-x86_64', args: ['--version'], pkg: 'qemu-system-x86' },
  { bin: 'iperf3', args: ['--version'], pkg: 'iperf3' },
  { bin: 'ip', args: ['-V'], pkg: 'iproute2' },
  // The latency probe needs iputils' -D/-O, which busybox ping lacks.
  { bin: 'ping', args: ['-V'], pkg: 'iputils-ping' },
];

/** One line per missing tool, naming the command that installs it. */
export async function checkPrerequisites(): Promise<void> {
  const missing: string[] = [];
  for (const n of NEEDED) {
    const r = await exec(n.bin, n.args).catch(() => undefined);
    if (!r || r.exitCode === 127 || /ENOENT/.test(r.stderr)) missing.push(`${n.bin} is missing: apt-get install ${n.pkg} (or npm run setup)`);
  }
  if (process.getuid?.() !== 0) missing.push('labs need root (network namespaces and tap devices): run as root');
  if (missing.length) throw new UserError(missing.join('\n'), 2);
}
