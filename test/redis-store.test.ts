import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, StoreError } from '../src/errors/index.js';
import { redisStore, type RedisStoreOptions } from '../src/store/redis.js';
import { clientKinds, inspector } from './helpers/redis-clients.js';
import { describeWithRedis, RedisServer } from './helpers/redis-server.js';

/**
 * What the Redis store does beyond the store contract (test/store-contract.test.ts): a stalled or
 * closed client, scripts the server forgot, refusals and their messages, the eviction-policy
 * warning, and options.
 */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const failureOf = async (call: Promise<unknown>) => {
  const started = performance.now();
  const error = await call.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  return { error: error as StoreError, elapsed: performance.now() - started };
};

describe('redisStore options', () => {
  it('names the option at fault', () => {
    const client = { status: 'ready', call: async () => null, on() {} };
    expect(() => redisStore({ client: {} as never })).toThrow(ConfigError);
    expect(() => redisStore({ client: {} as never })).toThrow(/node-redis client .* or an ioredis client/);
    expect(() => redisStore(undefined as never)).toThrow(/redisStore\({ client }\)/);
    for (const timeoutMs of [0, -1, NaN, Infinity])
      expect(() => redisStore({ client, timeoutMs }), String(timeoutMs)).toThrow(/timeoutMs/);
    expect(() => redisStore({ client, prefix: 42 as never })).toThrow(/prefix/);
  });
});

for (const kind of clientKinds) {
  describeWithRedis(`redisStore over ${kind.name}, beyond the contract`, () => {
    let server: RedisServer;
    let inspect: Redis;
    const closers: (() => Promise<void>)[] = [];
    const open = async (options: Omit<RedisStoreOptions, 'client'> = {}) => {
      const opened = await kind.open(server.url);
      closers.push(opened.close);
      return { ...opened, store: redisStore({ client: opened.client, logger: false, ...options }) };
    };

    beforeAll(async () => {
      server = await RedisServer.start();
      inspect = await inspector(server.url);
    });
    afterAll(async () => {
      for (const close of closers) await close().catch(() => undefined);
      inspect?.disconnect();
      await server?.cleanup();
    });

    it('times out on a stalled server, names it slow, and answers again once it resumes', async () => {
      const { store } = await open({ timeoutMs: 300 });
      await store.set('paymount:order:alipay:1', 'paid', 60_000, 'record');
      server.freeze();
      try {
        const outcomes = await Promise.all([
          failureOf(store.get('paymount:order:alipay:1')),
          failureOf(store.setIfAbsent('paymount:lock:1', 't', 60_000)),
          failureOf(store.deleteIfEquals('paymount:lock:1', 't')),
        ]);
        for (const { error, elapsed } of outcomes) {
          expect(error).toBeInstanceOf(StoreError);
          expect(error.message).toMatch(/^redisStore: .* got no answer within 300 ms \(Redis is slow or overloaded/);
          expect(elapsed).toBeLessThan(300 + 250);
        }
      } finally {
        server.thaw();
      }
      // The late answers to the abandoned calls arrive now, and are dropped without harm.
      expect(await store.get('paymount:order:alipay:1')).toBe('paid');
    });

    it('fails at once, naming the cause, on a client that was closed', async () => {
      const { store, close } = await open();
      await store.get('paymount:x');
      await close();
      const { error, elapsed } = await failureOf(store.get('paymount:x'));
      expect(error).toBeInstanceOf(StoreError);
      expect(error.message).toMatch(
        /^redisStore: the (node-redis|ioredis) client is closed.*await client\.connect\(\)/,
      );
      expect(elapsed).toBeLessThan(100);
    });

    it('sends a script by its source when the server forgot it (NOSCRIPT)', async () => {
      const { store } = await open();
      await store.setIfAbsent('paymount:lock:s', 'token', 60_000);
      await inspect.script('FLUSH');
      await inspect.config('RESETSTAT');
      expect(await store.expireIfEquals('paymount:lock:s', 'token', 60_000)).toBe(true);
      expect(await store.expireIfEquals('paymount:lock:s', 'token', 60_000)).toBe(true);
      const stats = await inspect.info('commandstats');
      // The first script call after the flush needs EVAL; the second finds the script again.
      expect(stats).toMatch(/^cmdstat_eval:calls=1,/m);
      expect(stats).toMatch(/^cmdstat_evalsha:calls=2,.*failed_calls=1\r?$/m);
    });

    it('says why Redis refused a command: a key of another type, a full server', async () => {
      const { store } = await open();
      await inspect.rpush('paymount:order:alipay:list', 'x');
      const wrongType = await failureOf(store.get('paymount:order:alipay:list'));
      expect(wrongType.error).toBeInstanceOf(StoreError);
      expect(wrongType.error.message).toMatch(
        /^redisStore: Redis refused GET paymount:order:alipay:list: WRONGTYPE .*give paymount a prefix of its own/,
      );

      await inspect.config('SET', 'maxmemory', '1');
      try {
        const full = await failureOf(store.set('paymount:order:alipay:2', 'paid', 60_000, 'record'));
        expect(full.error).toBeInstanceOf(StoreError);
        expect(full.error.message).toMatch(/^redisStore: Redis refused SET .*: OOM .*maxmemory/);
        expect(full.error.status).toBe(503);
      } finally {
        await inspect.config('SET', 'maxmemory', '0');
      }
    });

    it('warns once when the server may evict keys, and not when it keeps them', async () => {
      const evicting: string[] = [];
      await inspect.config('SET', 'maxmemory-policy', 'volatile-lru');
      try {
        const { store } = await open({ logger: { warn: (message) => evicting.push(message) } });
        await store.get('paymount:a');
        await store.get('paymount:b');
        await sleep(200);
      } finally {
        await inspect.config('SET', 'maxmemory-policy', 'noeviction');
      }
      expect(evicting).toHaveLength(1);
      expect(evicting[0]).toMatch(/maxmemory-policy volatile-lru: .*onPaid a second time.*noeviction/);

      const keeping: string[] = [];
      const { store } = await open({ logger: { warn: (message) => keeping.push(message) } });
      await store.get('paymount:a');
      await sleep(200);
      expect(keeping).toEqual([]);
    });

    it('needs only the commands docs/state.md lists, on its own keys, and no CONFIG', async () => {
      // The ACL of docs/state.md: these commands (scripts' ones included), keys under the prefix.
      const commands = ['get', 'set', 'evalsha', 'eval', 'zadd', 'zrem', 'zrangebyscore', 'pexpire', 'pttl', 'del'];
      await inspect.call('ACL', 'SETUSER', 'shop', 'on', '>secret', 'resetkeys', '~shop:paymount:*', '-@all');
      await inspect.call('ACL', 'SETUSER', 'shop', ...commands.map((name) => `+${name}`));
      await inspect.call('ACL', 'LOG', 'RESET');
      const opened = await kind.open(server.url.replace('redis://', 'redis://shop:secret@'));
      closers.push(opened.close);
      const warnings: string[] = [];
      const store = redisStore({ client: opened.client, prefix: 'shop', logger: { warn: (m) => warnings.push(m) } });
      await store.set('paymount:order:alipay:acl', 'paid', 60_000, 'record');
      expect(await store.get('paymount:order:alipay:acl')).toBe('paid');
      expect(await store.setIfAbsent('paymount:lock:acl', 'token', 60_000)).toBe(true);
      expect(await store.expireIfEquals('paymount:lock:acl', 'token', 60_000)).toBe(true);
      expect(await store.deleteIfEquals('paymount:lock:acl', 'token')).toBe(true);
      await store.indexAdd('paymount:open', 'acl', 1, 60_000);
      expect(await store.indexRange('paymount:open', 1, 10)).toEqual(['acl']);
      await store.indexRemove('paymount:open', 'acl');
      await sleep(200);
      // The eviction check was refused, and that is no reason to warn.
      expect(warnings).toEqual([]);
      const denied = ((await inspect.call('ACL', 'LOG')) as unknown[][]).map(
        (entry) => entry[entry.indexOf('object') + 1],
      );
      // ioredis asks INFO for its ready check; the store itself tried nothing but CONFIG GET.
      expect(denied.filter((object) => object !== 'info')).toEqual(['config|get']);
    });
  });
}

describeWithRedis('redisStore with an ioredis keyPrefix', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await RedisServer.start();
  });
  afterAll(async () => {
    await server?.cleanup();
  });

  it('puts the ioredis keyPrefix before its own prefix, for commands and scripts alike', async () => {
    const client = new Redis(server.url, { keyPrefix: 'io:' });
    const inspect = await inspector(server.url);
    try {
      const store = redisStore({ client, prefix: 'app', logger: false });
      await store.setIfAbsent('paymount:lock:k', 'token', 60_000);
      await store.indexAdd('paymount:open', 'm', 1, 60_000);
      expect(await store.expireIfEquals('paymount:lock:k', 'token', 60_000)).toBe(true);
      expect((await inspect.keys('*')).sort()).toEqual(['io:app:paymount:lock:k', 'io:app:paymount:open']);
      expect(await store.deleteIfEquals('paymount:lock:k', 'token')).toBe(true);
      expect(await inspect.exists('io:app:paymount:lock:k')).toBe(0);
    } finally {
      client.disconnect();
      inspect.disconnect();
    }
  });
});
