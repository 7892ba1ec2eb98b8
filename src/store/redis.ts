/**
 * `paymount/redis`: the store for production, several instances and restarts.
 *
 * @packageDocumentation
 */
import { ConfigError } from '../errors/index.js';
import type { PaymentStore } from '../spi/store.js';
import type { Logger } from '../spi/types.js';
import { commands } from './redis-commands.js';
import { connect, type RedisClientLike } from './redis-connection.js';
import { evictionCheck } from './redis-eviction.js';
import { Health } from './redis-health.js';
import * as scripts from './redis-scripts.js';

export type { IoredisClientLike, NodeRedisClientLike, RedisClientLike } from './redis-connection.js';

/** Options of {@link redisStore}. */
export interface RedisStoreOptions {
  /**
   * A connected client: node-redis (`redis` v4 or later, `await createClient({ url }).connect()`) or
   * ioredis (`new Redis(url)`), standalone or cluster. The store sends its commands through it and
   * never closes it. It adds an `error` listener, so that an outage does not crash the process.
   */
  client: RedisClientLike;
  /**
   * Namespace put before every key, joined with `:`: with `prefix: 'shop-a'` a paid order lives at
   * `shop-a:paymount:order:alipay:42` (a trailing `:` is not doubled). Without it keys start with
   * `paymount:`. Give each application sharing a Redis its own prefix. (An ioredis `keyPrefix`
   * applies on top, before this one.)
   */
  prefix?: string;
  /**
   * Longest wait for one store call, in milliseconds, including the wait for a client that is
   * reconnecting; then the call rejects with a `StoreError` and paymount answers 503. Default 1000:
   * Redis answers in well under a millisecond when healthy, so only an outage or a stall reaches it,
   * and a notify meeting an outage still answers well within the few seconds providers wait for an
   * answer (WeChat Pay: 5 s) before they retry.
   */
  timeoutMs?: number;
  /**
   * Where the store's warnings go: an eviction policy that can drop records, an outage and its end.
   * Default: `console.warn`. `false` silences them.
   */
  logger?: Pick<Logger, 'warn'> | false;
}

/**
 * A `PaymentStore` in Redis (or Valkey), shared by every instance of the application and
 * kept across restarts: paid orders, trade numbers, refunds, locks and caches, each key under
 * `prefix`, each with its time to live (docs/state.md lists them).
 *
 * Every operation is one atomic command on one key (`SET … NX PX`, a compare-and-delete script, a
 * sorted set), so the store works on Redis Cluster. Each call is bounded by `timeoutMs`: with Redis
 * down or slow it rejects with a `StoreError` and paymount answers 503, calls no hook, and the
 * provider retries; when Redis returns, the client reconnects and the same store works again.
 *
 * **The server must run `maxmemory-policy noeviction`** (Redis's default). Any other policy lets
 * Redis delete payment records when memory runs short, and a retried notify would then call
 * `onPaid` a second time. The store reads the policy once at first use (where `CONFIG GET` is
 * allowed) and warns when it evicts. Persistence (AOF) decides what survives a Redis restart.
 *
 * @example
 * ```ts
 * import { createClient } from 'redis';
 * import { redisStore } from 'paymount/redis';
 *
 * const client = createClient({ url: process.env.REDIS_URL });
 * await client.connect();
 * const payments = createPayments({ ..., store: redisStore({ client }) });
 * ```
 *
 * @example With ioredis and a prefix of the application's own
 * ```ts
 * import { Redis } from 'ioredis';
 * import { redisStore } from 'paymount/redis';
 *
 * const store = redisStore({ client: new Redis(process.env.REDIS_URL), prefix: 'shop-a' });
 * ```
 */
export function redisStore(options: RedisStoreOptions): PaymentStore {
  if (options === null || typeof options !== 'object')
    throw new ConfigError('redisStore', 'needs an options object: redisStore({ client })');
  const timeoutMs = options.timeoutMs ?? 1000;
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0)
    throw new ConfigError('redisStore.timeoutMs', 'must be a positive number of milliseconds');
  const prefix = options.prefix ?? '';
  if (typeof prefix !== 'string') throw new ConfigError('redisStore.prefix', 'must be a string');
  const namespace = prefix === '' || prefix.endsWith(':') ? prefix : `${prefix}:`;
  const logger = options.logger === undefined ? console : options.logger;
  const warn = (message: string) => {
    if (logger) logger.warn(`[paymount] redisStore: ${message}`);
  };

  const connection = connect(options.client);
  const health = new Health(connection, warn);
  const redis = commands(connection, health, timeoutMs);
  const checkEviction = evictionCheck(redis, warn);
  const k = (key: string) => {
    checkEviction();
    return namespace + key;
  };

  return {
    async get(key) {
      const reply = await redis.run(['GET', k(key)]);
      return reply === null || reply === undefined ? undefined : String(reply);
    },
    async set(key, value, ttlMs) {
      // The kind is not stored: Redis cannot evict caches only, hence noeviction for all.
      await redis.run(['SET', k(key), value, 'PX', ms(ttlMs)]);
    },
    async setIfAbsent(key, value, ttlMs) {
      // SET … NX answers OK when it stored the value, nil when the key already existed.
      const reply = await redis.run(['SET', k(key), value, 'NX', 'PX', ms(ttlMs)]);
      return reply !== null && reply !== undefined && String(reply) === 'OK';
    },
    async deleteIfEquals(key, value) {
      return Number(await redis.script(scripts.deleteIfEquals, 'deleteIfEquals', k(key), [value])) === 1;
    },
    async expireIfEquals(key, value, ttlMs) {
      return Number(await redis.script(scripts.expireIfEquals, 'expireIfEquals', k(key), [value, ms(ttlMs)])) === 1;
    },
    async indexAdd(index, member, score, ttlMs) {
      await redis.script(scripts.indexAdd, 'indexAdd', k(index), [bound(score, 'score'), member, ms(ttlMs)]);
    },
    async indexRemove(index, member) {
      await redis.run(['ZREM', k(index), member]);
    },
    async indexRange(index, maxScore, limit) {
      const count = Math.floor(limit);
      // LIMIT 0 -1 would mean "all": a limit below one asks for nothing.
      if (!(count >= 1)) return [];
      const reply = await redis.run([
        'ZRANGEBYSCORE',
        k(index),
        '-inf',
        bound(maxScore, 'maxScore'),
        'LIMIT',
        '0',
        String(count),
      ]);
      return Array.isArray(reply) ? reply.map(String) : [];
    },
  };
}

/** A time to live as Redis takes it: whole milliseconds, at least one. */
function ms(ttlMs: number): string {
  if (!Number.isFinite(ttlMs)) throw new RangeError(`redisStore: a time to live must be a finite number, got ${ttlMs}`);
  return String(Math.max(1, Math.ceil(ttlMs)));
}

/** A sorted-set score as Redis reads it (`+inf`, `-inf` for the infinities). */
function bound(score: number, name: string): string {
  if (Number.isNaN(score) || typeof score !== 'number') throw new RangeError(`redisStore: ${name} must be a number`);
  if (score === Infinity) return '+inf';
  if (score === -Infinity) return '-inf';
  return String(score);
}
