import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // End-to-end tests start brokers on fixed ports; files run in parallel with ports chosen per test.
    pool: 'forks',
    globalSetup: ['test/support/global-setup.ts'],
  },
});
