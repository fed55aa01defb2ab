import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Qmp } from '../../src/targets/qmp.js';

const dir = mkdtempSync(join(tmpdir(), 'hil-qmp-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('QMP client', () => {
  // A monitor that greets and negotiates as QEMU's does, then never answers again: what a
  // QEMU whose main loop is stuck looks like from here.
  it('a command past its timeout fails, naming it, and the connection is closed', async () => {
    const path = join(dir, 'stuck.sock');
    const server = createServer((s) => {
      s.write('{"QMP": {"version": {}, "capabilities": []}}\n');
      s.once('data', () => s.write('{"return": {}}\n'));
    });
    await new Promise<void>((r) => server.listen(path, r));
    try {
      const q = await Qmp.connect(path, 1000);
      await expect(q.execute('query-status', undefined, 200)).rejects.toThrow('QMP did not answer query-status in 200 ms');
      await expect(q.execute('query-status')).rejects.toThrow('QMP did not answer query-status in 200 ms');
      q.close();
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
