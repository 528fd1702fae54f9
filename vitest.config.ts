import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Each needs more than the clone and `npm ci`, and has a script of its own: the npm registry
    // (test:hosts), a built OpenTelemetry Collector (test:collector), Python (test:detections),
    // Chromium (test:report).
    exclude: ['test/hosts/**', 'test/collector/**', 'test/detections/**', 'test/report-browser/**'],
    // Tests start real HTTP servers and child processes; two cores, so keep parallelism modest.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 30_000,
  },
});
