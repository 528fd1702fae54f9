import { defineConfig } from 'vitest/config';

// `npm run test:collector`: the tests against a real OpenTelemetry Collector (test/collector/).
// The global setup builds the Collector with the official builder once and caches it.
export default defineConfig({
  test: {
    include: ['test/collector/**/*.test.ts'],
    globalSetup: ['test/collector/global-setup.ts'],
    // Each file runs Collectors and receivers as child processes on two cores: one file at a time,
    // so the figures they print (and the Collector's pace) do not depend on a neighbour.
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 60_000,
  },
});
