import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Azurite and the ARM simulator bind loopback ports; two cores gain nothing from more workers.
    maxWorkers: 2,
    // CI reads the JSON report to print its closing "N passed, N failed" line.
    reporters: process.env['CI'] ? ['default', ['json', { outputFile: '.ci/out/vitest.json' }]] : ['default'],
  },
});
