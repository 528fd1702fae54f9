import { defineConfig } from 'vitest/config';

// `npm run test:hosts`: installs Node builds and OpenTelemetry packages from the npm registry.
export default defineConfig({
  test: {
    include: ['test/hosts/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 1,
    testTimeout: 300_000,
    hookTimeout: 120_000,
  },
});
