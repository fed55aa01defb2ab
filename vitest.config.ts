import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['harness/test/**/*.test.ts'],
    testTimeout: 20_000,
    // The end-to-end file boots VMs; keep unit files from competing with it for the 2 cores.
    fileParallelism: false,
    reporters: ['default'],
    globalSetup: ['harness/test/global-leaks.ts'],
  },
});
