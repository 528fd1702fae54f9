import { defineConfig } from 'vitest/config';

// `npm run test:report`: the inventory's HTML report in a real headless Chromium (test/report-browser/);
// scripts/test-report.sh installs Debian's Chromium first when it is missing.
export default defineConfig({
  test: {
    include: ['test/report-browser/**/*.test.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
