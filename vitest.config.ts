import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Azurite and the ARM simulator bind loopback ports; two cores do not gain from more workers.
    maxWorkers: 2,
  },
});
