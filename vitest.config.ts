import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // The JSON report lets CI print one "N passed, N failed" line whatever the console shows.
    reporters: ['default', 'json'],
    outputFile: { json: 'test-output/results.json' },
  },
});
