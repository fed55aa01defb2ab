import { shQuote } from './qemu-args.js';
import { Qmp } from './qmp.js';

interface MigrationInfo {
  status?: string;
  'error-desc'?: string;
}

/**
 * Writes the running VM's state to dest as a migration stream, then lets the VM run on.
 * The guest keeps running while RAM is copied (it is idle at the readiness point), and
 * QEMU pauses it only for the last dirty pages; after completion it waits in
 * "postmigrate" until `cont`.
 */
export async function saveVmState(qmpSocket: string, dest: string, whilePaused?: () => Promise<void>, timeoutMs = 60_000): Promise<number> {
  const start = performance.now();
  const q = await Qmp.connect(qmpSocket);
  try {
    // QEMU throttles migration to 128 MiB/s by default; a local file needs no throttle.
    await q.execute('migrate-set-parameters', { 'max-bandwidth': 64 * 1024 * 1024 * 1024 });
    await q.execute('migrate', { uri: `exec:cat > ${shQuote(dest)}` });
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const info = await q.execute<MigrationInfo>('query-migrate');
      if (info.status === 'completed') {
        // Paused ("postmigrate") until `cont`: disk layers copied now match the saved RAM.
        await whilePaused?.();
        break;
      }
      if (info.status === 'failed' || info.status === 'cancelled') throw new Error(`saving VM state failed: ${info['error-desc'] ?? info.status}`);
      if (performance.now() > deadline) {
        await q.execute('migrate_cancel').catch(() => undefined);
        throw new Error(`saving VM state timed out after ${timeoutMs} ms`);
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    return performance.now() - start;
  } finally {
    // Whatever happened, the scenario goes on with this VM.
    const st = await q.execute<{ status: string }>('query-status').catch(() => undefined);
    if (st && st.status !== 'running') await q.execute('cont').catch(() => undefined);
    q.close();
  }
}
