import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchPayments } from '../adapters/fetch.js';
import { createPayments, memoryStore, type PaymentStore } from '../src/index.js';
import { redisStore } from '../src/store/redis.js';
import { ALIPAY_CONTENT_TYPE, fixtureAlipay, formBody, notifyFields, signNotify } from './helpers/alipay-notify.js';
import { ready } from './helpers/redis-clients.js';
import { createShop } from './helpers/shop.js';
import { describeWithRedis, RedisServer } from './helpers/redis-server.js';

/**
 * What a new payment's notify costs in store calls and round trips (docs/state.md#locks): every
 * round trip is CPU time in the application and in Redis, and a notify waits for each in turn.
 * A round trip here is a run of calls sent while the store was idle, together with the calls sent
 * while they were still in flight (the client writes them at once, and Redis answers them at once).
 */

/** A store that counts calls per operation and round trips (the store going from idle to busy). */
function counting(inner: PaymentStore) {
  const calls = new Map<string, number>();
  let inFlight = 0;
  let trips = 0;
  const wrap =
    <A extends unknown[], R>(name: string, fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      calls.set(name, (calls.get(name) ?? 0) + 1);
      if (inFlight++ === 0) trips++;
      try {
        return await fn(...args);
      } finally {
        inFlight--;
      }
    };
  const store: PaymentStore = {
    get: wrap('get', (key) => inner.get(key)),
    set: wrap('set', (key, value, ttlMs, kind) => inner.set(key, value, ttlMs, kind)),
    setIfAbsent: wrap('setIfAbsent', (key, value, ttlMs) => inner.setIfAbsent(key, value, ttlMs)),
    deleteIfEquals: wrap('deleteIfEquals', (key, value) => inner.deleteIfEquals(key, value)),
    expireIfEquals: wrap('expireIfEquals', (key, value, ttlMs) => inner.expireIfEquals(key, value, ttlMs)),
    indexAdd: wrap('indexAdd', (index, member, score, ttlMs) => inner.indexAdd(index, member, score, ttlMs)),
    indexRemove: wrap('indexRemove', (index, member) => inner.indexRemove(index, member)),
    indexRange: wrap('indexRange', (index, maxScore, limit) => inner.indexRange(index, maxScore, limit)),
  };
  return {
    store,
    reset: () => {
      calls.clear();
      trips = 0;
    },
    get total() {
      return [...calls.values()].reduce((sum, n) => sum + n, 0);
    },
    get trips() {
      return trips;
    },
    calls,
  };
}

function shopOn(store: PaymentStore) {
  const shop = createShop();
  const payments = createPayments({
    ...shop.hooks,
    store,
    publicUrl: 'https://shop.example.com/pay',
    providers: { alipay: fixtureAlipay() },
    logger: false,
  });
  const handler = fetchPayments(payments, { prefix: '/pay' });
  let n = 0;
  /** Sends a valid notify of a new order (or of `orderId` again); resolves with the answer's body. */
  const notify = async (orderId = `RT${Date.now()}${++n}`) => {
    if (!shop.orders.has(orderId)) shop.addOrder({ id: orderId, amount: 8888 });
    const body = formBody(signNotify(notifyFields(orderId, '88.88')));
    const res = await handler(
      new Request('https://shop.example.com/pay/notify/alipay', {
        method: 'POST',
        headers: { 'content-type': ALIPAY_CONTENT_TYPE },
        body,
      }),
    );
    return { orderId, body: await res.text() };
  };
  return { shop, notify };
}

describe('store round trips of a notify', () => {
  it('a new payment: 10 store calls in 6 round trips; a duplicate: 2 calls in 1', async () => {
    const counter = counting(memoryStore());
    const { shop, notify } = shopOn(counter.store);
    await notify(); // warms up what is read once per process
    counter.reset();
    const first = await notify();
    expect(first.body).toBe('success');
    expect(shop.paid.filter((e) => e.orderId === first.orderId)).toHaveLength(1);
    expect({ calls: counter.total, trips: counter.trips }).toEqual({ calls: 10, trips: 6 });
    counter.reset();
    expect((await notify(first.orderId)).body).toBe('success');
    expect(shop.paid.filter((e) => e.orderId === first.orderId)).toHaveLength(1);
    expect({ calls: counter.total, trips: counter.trips }).toEqual({ calls: 2, trips: 1 });
  });
});

describeWithRedis('store round trips of a notify on Redis', () => {
  let server: RedisServer;
  let client: Redis;
  beforeAll(async () => {
    server = await RedisServer.start();
    client = new Redis(server.url);
    await ready(client);
  });
  afterAll(async () => {
    client?.disconnect();
    await server?.stop();
  });

  /** The client, as the store sees it, counting the commands sent and the round trips. */
  const countingClient = () => {
    const sent = new Map<string, number>();
    let inFlight = 0;
    let trips = 0;
    const wrapper = {
      get status() {
        return client.status;
      },
      on: (event: string, listener: (...args: unknown[]) => void) => client.on(event, listener),
      async call(command: string, ...args: unknown[]) {
        sent.set(command, (sent.get(command) ?? 0) + 1);
        if (inFlight++ === 0) trips++;
        try {
          return await client.call(command, ...(args as string[]));
        } finally {
          inFlight--;
        }
      },
    };
    return {
      wrapper,
      sent,
      get trips() {
        return trips;
      },
      reset() {
        sent.clear();
        trips = 0;
      },
    };
  };

  it('a new payment sends redis-server 10 commands in 6 round trips', async () => {
    const counter = countingClient();
    const { shop, notify } = shopOn(redisStore({ client: counter.wrapper, prefix: 'trips', logger: false }));
    await notify(); // the store's one eviction-policy check
    counter.reset();
    const { orderId, body } = await notify();
    expect(body).toBe('success');
    expect(shop.paid.filter((e) => e.orderId === orderId)).toHaveLength(1);
    expect({ ...Object.fromEntries(counter.sent), trips: counter.trips }).toEqual({
      GET: 4,
      SET: 4,
      EVALSHA: 2,
      trips: 6,
    });
  });
});
