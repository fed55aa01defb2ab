import { execa } from 'execa';

/** Namespaces, tap devices and QEMU processes a lab could leave behind. */
export async function leftovers(): Promise<string[]> {
  const ns = (await execa('ip', ['netns', 'list'])).stdout.split('\n').filter((l) => l.startsWith('hil-'));
  const taps = (await execa('ip', ['-o', 'link', 'show', 'type', 'tun'])).stdout.split('\n').filter((l) => / hil/.test(l));
  const qemu = (await execa('pgrep', ['-af', '^qemu-system'], { reject: false })).stdout.split('\n').filter((l) => l.includes('-name hil-'));
  return [...ns, ...taps, ...qemu];
}
