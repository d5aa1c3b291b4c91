import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Native RocksDB handles and child brokers are safest in separate processes; brokers bind port 0, so test files
    // run in parallel without port clashes.
    pool: 'forks',
    // Compiles dist/ once, for the tests that start the broker as a real child process.
    globalSetup: ['test/support/global-setup.ts'],
  },
});
