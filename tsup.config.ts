import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    express: 'adapters/express.ts',
    koa: 'adapters/koa.ts',
    fetch: 'adapters/fetch.ts',
    sandbox: 'src/sandbox/index.ts',
    // `npx paymount sandbox`, the package's bin.
    cli: 'src/sandbox/cli.ts',
    redis: 'src/store/redis.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  target: 'node20',
  sourcemap: true,
  splitting: true,
});
