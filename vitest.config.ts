import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const source = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  // The package's own names, mapped to the sources as in tsconfig.json "paths" (the examples use them).
  resolve: {
    alias: [
      { find: /^paymount$/, replacement: source('./src/index.ts') },
      { find: /^paymount\/express$/, replacement: source('./adapters/express.ts') },
      { find: /^paymount\/koa$/, replacement: source('./adapters/koa.ts') },
      { find: /^paymount\/fetch$/, replacement: source('./adapters/fetch.ts') },
      { find: /^paymount\/sandbox$/, replacement: source('./src/sandbox/index.ts') },
      { find: /^paymount\/redis$/, replacement: source('./src/store/redis.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // The JSON report lets CI print one "N passed, N failed" line whatever the console shows.
    reporters: ['default', 'json'],
    outputFile: { json: 'test-output/results.json' },
  },
});
