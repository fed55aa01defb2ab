import { access, constants, readFile } from 'node:fs/promises';
import { execa } from 'execa';
import { exec } from './exec.js';
import { UserError } from './errors.js';

export const IN_ROOTLESS = 'HIL_IN_ROOTLESS';

/** Without root, or asked to (HIL_ROOTLESS=1, --rootless): run inside namespaces of our own. */
export function wantsRootless(env: NodeJS.ProcessEnv = process.env, flag = false): boolean {
  if (env[IN_ROOTLESS]) return false;
  return flag || env.HIL_ROOTLESS === '1' || process.getuid?.() !== 0;
}

/** What an unprivileged lab needs from the host; one line per problem, with its fix. */
export async function checkRootless(): Promise<void> {
  const problems: string[] = [];
  const userns = await exec('unshare', ['--user', '--map-root-user', '--net', '--mount', 'true']);
  if (userns.exitCode !== 0) {
    problems.push(`unprivileged user namespaces are not allowed here (${userns.stderr.trim() || `exit ${userns.exitCode}`}): ` +
      'sysctl kernel.unprivileged_userns_clone=1 (and user.max_user_namespaces > 0), or run as root');
  }
  await access('/dev/net/tun', constants.R_OK | constants.W_OK).catch(() => {
    problems.push('/dev/net/tun is not usable by this user (Debian makes it 0666; here it is not): chmod 0666 /dev/net/tun as root, or run as root');
  });
  if (problems.length) throw new UserError(`a lab without root cannot run here:\n${problems.join('\n')}`, 2);
}

/**
 * Re-runs this command inside a new user, network and mount namespace, with a private /run:
 * the labs' namespaces, taps and QEMUs live inside it, none can outlive it, and the host's
 * networking is never touched. Signals go to the inner harness, which tears its labs down.
 */
export async function reexecRootless(argv: string[]): Promise<number> {
  await checkRootless();
  const child = execa('unshare', [
    '--user', '--map-root-user', '--net', '--mount', '--propagation', 'private', '--kill-child=SIGTERM', '--',
    'sh', '-c', 'mount -t tmpfs -o mode=755 hil-run /run && ip link set lo up && exec "$@"', 'sh', process.execPath, ...argv,
  ], { stdio: 'inherit', reject: false, env: { [IN_ROOTLESS]: '1' } });
  const forward = (sig: NodeJS.Signals) => void innerPid(child.pid!).then((pid) => {
    try {
      if (pid) process.kill(pid, sig);
    } catch {
      /* it ended on its own meanwhile */
    }
  });
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  try {
    const r = await child;
    return r.exitCode ?? (r.signal === 'SIGINT' ? 130 : 143);
  } finally {
    process.off('SIGINT', forward);
    process.off('SIGTERM', forward);
  }
}

/** The harness inside: unshare's child (sh exec'd into node). */
async function innerPid(unsharePid: number): Promise<number | undefined> {
  const kids = await readFile(`/proc/${unsharePid}/task/${unsharePid}/children`, 'utf8').catch(() => '');
  const pid = Number(kids.trim().split(/\s+/)[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}
