import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sha256File } from '../../src/util/sha256-file.js';

describe('sha256File', () => {
  const dir = mkdtemp(join(tmpdir(), 'hil-sha-'));
  afterAll(async () => rm(await dir, { recursive: true, force: true }));

  it.each([0, 1, (1 << 20) - 1, 1 << 20, 3 * (1 << 20) + 12345])('hashes a file of %i bytes as one hash of its content', async (size) => {
    const data = randomBytes(size);
    const f = join(await dir, `f${size}`);
    await writeFile(f, data);
    expect(await sha256File(f)).toBe(createHash('sha256').update(data).digest('hex'));
  });

  it('says when the file is not there', async () => {
    await expect(sha256File(join(await dir, 'absent'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
