import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { cacheDir } from '../util/paths.js';
import { UserError } from '../util/errors.js';

const manifestSchema = z.object({ name: z.literal('hosts'), key: z.string(), files: z.object({ rootfs: z.string() }) });

/** The default lab-host container image (images/hosts/build.sh, run by `npm run setup`): its rootfs tarball. */
export async function hostsRootfs(): Promise<string> {
  const dir = join(cacheDir(), 'images', 'hosts');
  const text = await readFile(join(dir, 'manifest.json'), 'utf8').catch(() => {
    throw new UserError(`the default lab-host image is not built (no ${dir}/manifest.json): run \`npm run setup\` (or bash images/hosts/build.sh)`);
  });
  const m = manifestSchema.parse(JSON.parse(text));
  return join(dir, m.files.rootfs);
}
