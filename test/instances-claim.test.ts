import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithRedis } from './helpers/redis-server.js';
import { Instance, send, startCluster, until, type Answer, type Cluster } from './instances/cluster.js';
import { newOrderId } from './instances/protocol.js';
import { SlowLink } from './instances/slow-link.js';

/**
 * The claim of a payment's lock is one atomic command (docs/state.md#locks), whatever the timing.
 * One instance reaches Redis through a slow link (each command takes 2 × `DELAY_MS` to come
 * back), so that a claim split into a read and a write would leave a known gap between the two.
 * A copy of the notify is sent to a fast instance the moment the slow one's claim reaches Redis:
 * with `SET NX` it finds the lock taken; with a read then a write both would take it, and
 * `onPaid` would run twice.
 */

const DELAY_MS = 150;

let cluster: Cluster;
let slow: Instance;
let link: SlowLink;
let monitor: Redis;

beforeAll(async () => {
  cluster = await startCluster({
    instances: [{ framework: 'express', client: 'ioredis' }],
    lockTtlMs: 1000,
    lockWaitMs: 3000,
    aof: false,
  });
  link = await SlowLink.start({ host: '127.0.0.1', port: cluster.redis.port }, DELAY_MS);
  slow = await Instance.start({ ...cluster.configFor('s', 'koa', 'node-redis'), redisUrl: link.url }, cluster.log.dir);
  monitor = new Redis(cluster.redis.url);
}, 180_000);
afterAll(async () => {
  monitor?.disconnect();
  await slow?.kill();
  await link?.close();
  await cluster?.close();
}, 60_000);

const acked = (a: Answer) => a.status === 200 && a.body === 'success';
const retry = (a: Answer) => a.status === 503 && a.body === 'fail';

describeWithRedis('the claim of a lock, over a slow link', () => {
  it('a copy at a fast instance while the slow one claims the lock: onPaid once', async () => {
    const [fast] = cluster.instances as [Instance];
    const orderId = newOrderId(6789);
    const path = '/pay/notify/alipay';
    const since = cluster.balancer.requests.length;
    const release = cluster.balancer.hold((req) => req.path === path);
    try {
      const checkout = await fetch(`${cluster.balancer.url}/pay/checkout`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ orderId, provider: 'alipay', channel: 'app' }),
      });
      const { params } = (await checkout.json()) as { params: unknown };
      const paid = await fetch(`${cluster.sandbox.url}/alipay/app/pay`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ params, action: 'pay' }),
      });
      expect(paid.status).toBe(200);
      const copy = await until(
        () => cluster.balancer.requests.slice(since).find((r) => r.path === path && r.body.includes(orderId)),
        `the notify of ${orderId}`,
      );
      // The fast instance's onPaid outlasts the slow one's whole way from its claim to its own onPaid.
      await fast.slow(20 * DELAY_MS);
      // The first command on the payment's lock key, as Redis receives it: the slow instance's claim.
      const session = await monitor.monitor();
      const claimed = new Promise<void>((resolve) => {
        session.on('monitor', (_time: string, args: string[]) => {
          if (args[1]?.startsWith('paymount:lock:paid:alipay:')) resolve();
        });
      });
      const first = send(copy, slow.url);
      await claimed;
      const second = send(copy, fast.url);
      const answers = await Promise.all([first, second]);
      session.disconnect();
      for (const answer of answers) expect(acked(answer) || retry(answer), answer.body).toBe(true);
      // The provider's retries, until both instances acknowledge.
      for (const instance of [slow, fast]) {
        let answer = await send(copy, instance.url);
        for (let i = 0; i < 20 && !acked(answer); i++) answer = await send(copy, instance.url);
        expect(acked(answer), answer.body).toBe(true);
      }
      const { started, recorded } = cluster.log.count(orderId);
      expect({ started, recorded }, JSON.stringify(cluster.log.about({ orderId }))).toEqual({
        started: 1,
        recorded: 1,
      });
    } finally {
      release();
      await fast.slow(0);
    }
  }, 120_000);
});
