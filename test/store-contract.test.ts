import { performance } from 'node:perf_hooks';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreError } from '../src/errors/index.js';
import type { PaymentStore } from '../src/spi/store.js';
import { memoryStore } from '../src/store/memory.js';
import { redisStore, type RedisStoreOptions } from '../src/store/redis.js';
import { clientKinds, inspector } from './helpers/redis-clients.js';
import { describeWithRedis, RedisServer } from './helpers/redis-server.js';
import { storeContract } from './helpers/store-contract.js';

/**
 * One contract, three stores: the memory store, and the Redis store over node-redis and over
 * ioredis (and node-redis v4), each on a redis-server of its own. The Redis runs then look at the
 * server itself: key names, times to live, the commands it received; and at what a store does
 * while Redis is down and after it returns.
 */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('memoryStore', () => {
  const shared = memoryStore();
  storeContract(async (count) => Array.from({ length: count }, () => shared));

  it('evicts caches beyond maxCacheEntries, oldest first, and never a record', async () => {
    const full: number[] = [];
    const store = memoryStore({ maxCacheEntries: 10, onCacheFull: (max) => full.push(max) });
    for (let i = 0; i < 200; i++) {
      await store.set(`paymount:order:alipay:${i}`, `paid-${i}`, 60_000, 'record');
      await store.set(`paymount:certificates:${i}`, `cert-${i}`, 60_000, 'cache');
      expect(await store.setIfAbsent(`paymount:trade:alipay:${i}`, `order-${i}`, 60_000)).toBe(true);
    }
    for (let i = 0; i < 200; i++) {
      expect(await store.get(`paymount:order:alipay:${i}`)).toBe(`paid-${i}`);
      expect(await store.get(`paymount:trade:alipay:${i}`)).toBe(`order-${i}`);
      expect(await store.get(`paymount:certificates:${i}`)).toBe(i >= 190 ? `cert-${i}` : undefined);
    }
    // Told once, when the cap was first reached.
    expect(full).toEqual([10]);
  });
});

for (const kind of clientKinds) {
  describeWithRedis(`redisStore over ${kind.name}`, () => {
    const prefix = 'shop';
    let server: RedisServer;
    let inspect: Redis;
    const closers: (() => Promise<void>)[] = [];

    const open = async (count: number, options: Omit<RedisStoreOptions, 'client'> = {}): Promise<PaymentStore[]> =>
      Promise.all(
        Array.from({ length: count }, async () => {
          const { client, close } = await kind.open(server.url);
          closers.push(close);
          return redisStore({ client, prefix, logger: false, ...options });
        }),
      );

    beforeAll(async () => {
      server = await RedisServer.start();
      inspect = await inspector(server.url);
    });
    afterAll(async () => {
      for (const close of closers) await close().catch(() => undefined);
      inspect?.disconnect();
      await server?.cleanup();
    });

    storeContract((count) => open(count));

    it('keeps every key under its prefix, each with a time to live, and never lists keys', async () => {
      // A run of its own on top of the contract's, so that this test holds alone too.
      const [store] = (await open(1)) as [PaymentStore];
      await store.set('paymount:order:alipay:1', 'paid', 60_000, 'record');
      await store.set('paymount:wechatpay:1:platform-certificates', '[]', 60_000, 'cache');
      await store.setIfAbsent('paymount:lock:alipay:t1', 'token', 60_000);
      await store.expireIfEquals('paymount:lock:alipay:t1', 'token', 90_000);
      await store.indexAdd('paymount:open:alipay', 'o1', Date.now(), 60_000);
      await store.indexRange('paymount:open:alipay', Date.now(), 10);

      const stats = await inspect.info('commandstats');
      for (const name of ['set', 'get', 'evalsha', 'zadd', 'zrangebyscore', 'pexpire'])
        expect(stats, name).toMatch(new RegExp(`^cmdstat_${name}:calls=[1-9]`, 'm'));
      // Listing keys costs O(all keys) and blocks Redis: the store never does it.
      expect(stats).not.toMatch(/^cmdstat_(keys|scan):/m);

      const keys = await inspect.keys('*');
      expect(keys).toContain('shop:paymount:order:alipay:1');
      expect(keys).toContain('shop:paymount:open:alipay');
      expect(keys.length).toBeGreaterThan(10);
      for (const key of keys) {
        expect(key.startsWith('shop:paymount:'), key).toBe(true);
        expect(await inspect.pttl(key), key).toBeGreaterThan(0);
      }
    });

    it('composes prefixes with one colon, and keeps paymount keys as they are without one', async () => {
      const { client, close } = await kind.open(server.url);
      closers.push(close);
      await redisStore({ client, prefix: 'tenant-b:' }).set('paymount:x', '1', 60_000, 'record');
      await redisStore({ client, prefix: 'tenant-c' }).set('paymount:x', '2', 60_000, 'record');
      await redisStore({ client }).set('paymount:x', '3', 60_000, 'record');
      expect(await inspect.mget('tenant-b:paymount:x', 'tenant-c:paymount:x', 'paymount:x')).toEqual(['1', '2', '3']);
      expect(await redisStore({ client, prefix: 'tenant-c:' }).get('paymount:x')).toBe('2');
    });

    it('rejects every call with StoreError within timeoutMs while Redis is down, and recovers by itself', async () => {
      const warnings: string[] = [];
      const timeoutMs = 400;
      const [store] = (await open(1, { timeoutMs, logger: { warn: (message) => warnings.push(message) } })) as [
        PaymentStore,
      ];
      const calls: Record<string, () => Promise<unknown>> = {
        get: () => store.get('paymount:order:alipay:9'),
        set: () => store.set('paymount:order:alipay:9', 'paid', 60_000, 'record'),
        setIfAbsent: () => store.setIfAbsent('paymount:lock:9', 'token', 60_000),
        deleteIfEquals: () => store.deleteIfEquals('paymount:lock:9', 'token'),
        expireIfEquals: () => store.expireIfEquals('paymount:lock:9', 'token', 60_000),
        indexAdd: () => store.indexAdd('paymount:open', '9', 1, 60_000),
        indexRemove: () => store.indexRemove('paymount:open', '9'),
        indexRange: () => store.indexRange('paymount:open', 10, 10),
      };
      for (const call of Object.values(calls)) await call();

      await server.kill();
      // Right after the crash, and again once the client is deep in its reconnection attempts.
      for (const pause of [0, 1500]) {
        await sleep(pause);
        const outcomes = await Promise.all(
          Object.entries(calls).map(async ([name, call]) => {
            const started = performance.now();
            const error = await call().then(
              () => undefined,
              (reason: unknown) => reason,
            );
            return { name, error, elapsed: performance.now() - started };
          }),
        );
        for (const { name, error, elapsed } of outcomes) {
          expect(error, name).toBeInstanceOf(StoreError);
          expect((error as StoreError).message, name).toMatch(/^redisStore: .*(unreachable|ECONNREFUSED)/);
          expect((error as StoreError).status).toBe(503);
          expect(elapsed, name).toBeLessThan(timeoutMs + 250);
          if (process.env.SHOW) console.log(kind.name, pause, name, Math.round(elapsed), (error as Error).message);
        }
      }

      await server.restart();
      const deadline = Date.now() + 15_000;
      for (;;) {
        const back = await store.get('paymount:order:alipay:9').then(
          () => true,
          () => false,
        );
        if (back) break;
        expect(Date.now(), 'the store works again after Redis restarts').toBeLessThan(deadline);
        await sleep(100);
      }
      await calls.set!();
      expect(await store.get('paymount:order:alipay:9')).toBe('paid');
      expect(await store.setIfAbsent('paymount:lock:9', 'token', 60_000)).toBe(true);
      expect(await store.expireIfEquals('paymount:lock:9', 'token', 60_000)).toBe(true);
      expect(await store.deleteIfEquals('paymount:lock:9', 'token')).toBe(true);
      await store.indexAdd('paymount:open', '9', 1, 60_000);
      expect(await store.indexRange('paymount:open', 10, 10)).toEqual(['9']);

      // The outage was told once, and its end once, however many calls failed in between.
      expect(warnings.filter((w) => w.includes('connection to Redis lost'))).toHaveLength(1);
      expect(warnings.filter((w) => w.includes('connection to Redis is back'))).toHaveLength(1);
    });
  });
}
