import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    // A deadline against a hung test, not an assertion of speed: on a busy machine the same tests
    // have run three times slower than on a quiet one.
    testTimeout: 180_000,
    // Deadlines for setup (spawning gateways on a busy two-core machine), not assertions of speed.
    hookTimeout: 240_000,
    pool: 'forks',
    maxWorkers: 4,
    reporters: ['default'],
  },
});
