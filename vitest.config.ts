import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 30_000,
    // Deadlines for setup (spawning gateways on a busy two-core machine), not assertions of speed.
    hookTimeout: 240_000,
    pool: 'forks',
    maxWorkers: 4,
    reporters: ['default'],
  },
});
