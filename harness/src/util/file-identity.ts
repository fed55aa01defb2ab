import { realpath, stat } from 'node:fs/promises';

/** "realpath size mtime inode": changes whenever the file is rebuilt or replaced. */
export async function fileIdentity(path: string): Promise<string> {
  const real = await realpath(path);
  const st = await stat(real);
  return `${real} ${st.size} ${st.mtimeMs} ${st.ino}`;
}

/** Whether a file still has the identity recorded earlier. */
export async function sameIdentity(recorded: string): Promise<boolean> {
  const real = recorded.split(' ')[0]!;
  return (await fileIdentity(real).catch(() => '')) === recorded;
}
