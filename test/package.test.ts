import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeWithRedis, RedisServer } from './helpers/redis-server.js';

/**
 * The published shape: `npm run build` emits the six entries as ESM, CJS and declarations, and a
 * consumer can `require` and `import` each one by its package name.
 */
const root = fileURLToPath(new URL('..', import.meta.url));
const entries = ['index', 'express', 'koa', 'fetch', 'sandbox', 'redis'];
const node = (args: string[], env: Record<string, string> = {}) =>
  execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8', env: { ...process.env, ...env } }).trim();

describe('package build', () => {
  beforeAll(() => {
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'pipe' });
  }, 180_000);

  it('emits ESM, CJS and type declarations for every entry', () => {
    for (const name of entries) {
      for (const ext of ['js', 'cjs', 'd.ts', 'd.cts'])
        expect(existsSync(`${root}/dist/${name}.${ext}`), `${name}.${ext}`).toBe(true);
    }
  });

  it('loads every entry with require() and with import', () => {
    const cjs = node([
      '-e',
      "for (const m of ['paymount','paymount/express','paymount/koa','paymount/fetch','paymount/sandbox'," +
        "'paymount/redis']) console.log(m, Object.keys(require(m)).sort().join(','))",
    ]);
    expect(cjs).toMatch(/^paymount .*\balipay,createPayments\b.*\bunionpay,wechatpay\b/m);
    expect(cjs).toMatch(/^paymount\/express expressPayments$/m);
    expect(cjs).toMatch(/^paymount\/koa koaPayments$/m);
    expect(cjs).toMatch(/^paymount\/fetch fetchPayments$/m);
    expect(cjs).toMatch(/^paymount\/sandbox startSandbox$/m);
    expect(cjs).toMatch(/^paymount\/redis redisStore$/m);
    const esm = node([
      '--input-type=module',
      '-e',
      "const { createPayments } = await import('paymount');" +
        "const { startSandbox } = await import('paymount/sandbox');" +
        "const { redisStore } = await import('paymount/redis');" +
        'console.log(typeof createPayments, typeof startSandbox, typeof redisStore)',
    ]);
    expect(esm).toBe('function function function');
  });

  it('paymount/redis imports no client library and rejects with the StoreError of paymount', () => {
    // A client that ended (ioredis status "end") fails at once, without any Redis around.
    const check =
      "const client = { status: 'end', call: async () => null, on() {} };" +
      "redisStore({ client, logger: false }).get('k').then(() => console.log('resolved'), (e) => " +
      'console.log(e instanceof StoreError, e.code))';
    const cjs = node([
      '-e',
      "const { redisStore } = require('paymount/redis'); const { StoreError } = require('paymount');" +
        check +
        '.then(() => console.log(Object.keys(require.cache)' +
        '.filter((f) => /node_modules.(redis|ioredis|@redis)/.test(f)).length))',
    ]);
    expect(cjs).toBe('true STORE_UNAVAILABLE\n0');
    const esm = node([
      '--input-type=module',
      '-e',
      "const { redisStore } = await import('paymount/redis'); const { StoreError } = await import('paymount');" + check,
    ]);
    expect(esm).toBe('true STORE_UNAVAILABLE');
    // What the ESM entry and its chunks import: their own chunks and Node built-ins, no client library.
    const seen = new Set<string>();
    const imports = (file: string): string[] => {
      if (seen.has(file)) return [];
      seen.add(file);
      const source = readFileSync(`${root}/dist/${file}`, 'utf8');
      const specifiers = [...source.matchAll(/(?:from|import)\s*["']([^"']+)["']/g)].map((m) => m[1]!);
      return specifiers.flatMap((s) => (s.startsWith('./') ? imports(s.slice(2)) : [s]));
    };
    expect(imports('redis.js').sort()).toEqual(['crypto']);
  });
});

describeWithRedis('package build: paymount/redis on a real server', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await RedisServer.start();
  });
  afterAll(async () => {
    await server?.cleanup();
  });

  // Run after the build of the describe above (vitest runs a file's suites in order).
  it('works from the built entry with node-redis (import) and ioredis (require)', () => {
    const esm = node(
      [
        '--input-type=module',
        '-e',
        "const { createClient } = await import('redis'); const { redisStore } = await import('paymount/redis');" +
          'const client = await createClient({ url: process.env.REDIS_URL }).connect();' +
          "const store = redisStore({ client }); console.log(await store.setIfAbsent('paymount:pkg', 'esm', 60000));" +
          "console.log(await store.get('paymount:pkg')); await client.close();",
      ],
      { REDIS_URL: server.url },
    );
    expect(esm).toBe('true\nesm');
    const cjs = node(
      [
        '-e',
        "const { Redis } = require('ioredis'); const { redisStore } = require('paymount/redis');" +
          'const client = new Redis(process.env.REDIS_URL); const store = redisStore({ client });' +
          "(async () => { console.log(await store.setIfAbsent('paymount:pkg', 'cjs', 60000));" +
          "console.log(await store.get('paymount:pkg')); client.disconnect(); })()",
      ],
      { REDIS_URL: server.url },
    );
    expect(cjs).toBe('false\nesm');
  });
});
