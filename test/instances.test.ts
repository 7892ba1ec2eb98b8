import { createDecipheriv } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithRedis } from './helpers/redis-server.js';
import {
  send,
  startCluster,
  until,
  type Answer,
  type Captured,
  type Cluster,
  type Instance,
} from './instances/cluster.js';
import { newOrderId } from './instances/protocol.js';

/**
 * Several instances, for real (docs/state.md#several-instances): three processes (Express and Koa,
 * node-redis and ioredis) on one redis-server, behind a load balancer, the sandbox paying. Copies
 * of real notifies (the bytes and headers the sandbox sent) go to different instances; instances
 * are killed with SIGKILL inside `onPaid`, restarted, and Redis is restarted and stopped.
 */

/** Short, so that a killed holder's lock expires quickly; the minimum paymount allows. */
const LOCK_TTL_MS = 1000;
const LOCK_WAIT_MS = 3000;

interface Kind {
  name: string;
  provider: 'alipay' | 'wechatpay' | 'unionpay';
  /** Where the instance mounts this provider's configuration (WeChat Pay API v2 is its own). */
  mount: '/pay' | '/pay-v2';
  /** The provider's success acknowledgement. */
  acked(answer: Answer): boolean;
  /** A 503 in the provider's own failure format: what makes it retry. */
  retry(answer: Answer): boolean;
}

const kinds: Kind[] = [
  {
    name: 'Alipay',
    provider: 'alipay',
    mount: '/pay',
    acked: (a) => a.status === 200 && a.body === 'success',
    retry: (a) => a.status === 503 && a.body === 'fail',
  },
  {
    name: 'WeChat Pay v3',
    provider: 'wechatpay',
    mount: '/pay',
    acked: (a) => a.status === 204,
    retry: (a) => a.status === 503 && (JSON.parse(a.body) as { code: string }).code === 'FAIL',
  },
  {
    name: 'WeChat Pay v2',
    provider: 'wechatpay',
    mount: '/pay-v2',
    acked: (a) => a.status === 200 && a.body.includes('<return_code><![CDATA[SUCCESS]]></return_code>'),
    retry: (a) => a.status === 503 && a.body.includes('<return_code><![CDATA[FAIL]]></return_code>'),
  },
  {
    name: 'UnionPay',
    provider: 'unionpay',
    mount: '/pay',
    acked: (a) => a.status === 200,
    retry: (a) => a.status === 503 && a.body.startsWith('fail: '),
  },
];

let cluster: Cluster;
let instances: Instance[];

beforeAll(async () => {
  cluster = await startCluster({
    instances: [
      { framework: 'express', client: 'node-redis' },
      { framework: 'koa', client: 'ioredis' },
      { framework: 'express', client: 'ioredis' },
    ],
    lockTtlMs: LOCK_TTL_MS,
    lockWaitMs: LOCK_WAIT_MS,
    aof: true,
  });
  instances = cluster.instances;
}, 180_000);
afterAll(() => cluster.close(), 60_000);

const notifyPath = (kind: Kind) => `${kind.mount}/notify/${kind.provider}`;

async function postJson(url: string, value: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(value),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** An APP checkout through the load balancer; returns the parameters for the provider's SDK. */
async function checkoutApp(kind: Kind, orderId: string): Promise<unknown> {
  const { status, body } = await postJson(`${cluster.balancer.url}${kind.mount}/checkout`, {
    orderId,
    provider: kind.provider,
    channel: 'app',
  });
  expect(status, JSON.stringify(body)).toBe(200);
  return body.params;
}

/** The buyer pays in the provider's app (played by the sandbox), which then sends the notify. */
async function sdkPay(kind: Kind, params: unknown): Promise<void> {
  const res = await fetch(`${cluster.sandbox.url}/${kind.provider}/app/pay`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ params, action: 'pay' }),
  });
  expect(res.status, await res.clone().text()).toBe(200);
  await res.arrayBuffer();
}

/** The decrypted resource of a WeChat Pay v3 notify (AES-256-GCM with the APIv3 key), as text; '' when unreadable. */
function v3TradeOf(req: Captured): string {
  try {
    const { resource } = JSON.parse(req.body.toString('utf8')) as {
      resource: { ciphertext: string; nonce: string; associated_data?: string };
    };
    const data = Buffer.from(resource.ciphertext, 'base64');
    const key = Buffer.from(cluster.sandbox.wechatpay.v3?.apiV3Key ?? '', 'utf8');
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(resource.nonce, 'utf8'));
    decipher.setAuthTag(data.subarray(data.length - 16));
    decipher.setAAD(Buffer.from(resource.associated_data ?? '', 'utf8'));
    return Buffer.concat([decipher.update(data.subarray(0, data.length - 16)), decipher.final()]).toString('utf8');
  } catch {
    return '';
  }
}

/**
 * Pays a new order while the load balancer holds back its notify, and returns the notify the
 * sandbox sent (its first delivery): the copy tests send to instances themselves. The hold stays
 * until `release` is called (the sandbox's own retries are held too).
 */
async function heldNotify(kind: Kind, orderId: string): Promise<{ copy: Captured; release: () => void }> {
  const path = notifyPath(kind);
  const since = cluster.balancer.requests.length;
  // Only this order's notify: a retry of an earlier order's may arrive meanwhile (a v3 body is read decrypted).
  const about = (req: Captured) =>
    req.path === path && (kind.name === 'WeChat Pay v3' ? v3TradeOf(req) : req.body.toString('utf8')).includes(orderId);
  const release = cluster.balancer.hold(about);
  try {
    await sdkPay(kind, await checkoutApp(kind, orderId));
    const copy = await until(
      () => cluster.balancer.requests.slice(since).find(about),
      `the ${kind.name} notify of ${orderId}`,
    );
    return { copy, release };
  } catch (error) {
    release();
    throw error;
  }
}

/** Sends a copy the way a provider retries: again while the answer asks for a retry (at most `n` times). */
async function sendUntilAcked(kind: Kind, copy: Captured, to: Instance | string, n = 20): Promise<Answer> {
  const url = typeof to === 'string' ? to : to.url;
  let answer = await send(copy, url);
  for (let i = 1; i < n && !kind.acked(answer); i++) {
    expect(kind.retry(answer), `${answer.status} ${answer.body}`).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 200));
    answer = await send(copy, url);
  }
  return answer;
}

/** The onPaid calls logged for an order, as the assertions compare them. */
function counted(orderId: string) {
  const { started, ended, recorded, keys } = cluster.log.count(orderId);
  return { started, ended, recorded, keys: keys.length };
}

describeWithRedis('several instances on one Redis', () => {
  it.each(kinds)(
    '$name: 200 copies of one notify spread over three instances call onPaid once',
    async (kind) => {
      const orderId = newOrderId(1234);
      const { copy, release } = await heldNotify(kind, orderId);
      // An onPaid that takes a while, as one writing to a database does: copies keep arriving meanwhile.
      await Promise.all(instances.map((i) => i.slow(200)));
      try {
        const answers = await Promise.all(
          Array.from({ length: 200 }, (_, i) => send(copy, instances[i % instances.length]!.url)),
        );
        // A copy that waited past lockWaitMs for another to finish asks for a retry, in the provider's format.
        for (const answer of answers) expect(kind.acked(answer) || kind.retry(answer), answer.body).toBe(true);
        expect(answers.some((a) => kind.acked(a))).toBe(true);
        for (const instance of instances) expect(kind.acked(await sendUntilAcked(kind, copy, instance))).toBe(true);
        const { started, ended, recorded, keys } = cluster.log.count(orderId);
        expect(
          { started, ended, recorded, keys: keys.length },
          JSON.stringify(cluster.log.lines().filter((l) => l.orderId === orderId || keys.includes(l.key))) +
            instances.map((i) => i.log).join('\n'),
        ).toEqual({ started: 1, ended: 1, recorded: 1, keys: 1 });
      } finally {
        release();
        await Promise.all(instances.map((i) => i.slow(0)));
      }
    },
    120_000,
  );

  // One kind per provider: the lock is the core's, WeChat Pay v2 only parses differently from v3.
  it.each(kinds.filter((k) => k.name !== 'WeChat Pay v2'))(
    '$name: an instance killed inside onPaid; the retry on another instance completes the payment',
    async (kind) => {
      const orderId = newOrderId(2345);
      const { copy, release } = await heldNotify(kind, orderId);
      const [victim, other] = [instances[0]!, instances[1]!];
      try {
        await victim.slow(10 * 60_000);
        const first = send(copy, victim.url).then(
          (answer) => `answered ${answer.status}`,
          () => 'no answer',
        );
        await until(
          () =>
            cluster.log.about({ orderId }).some((l) => l.type === 'paid-start' && l.instance === victimName(victim)),
          'onPaid to start on the victim',
        );
        await victim.kill();
        expect(await first).toBe('no answer');
        // The victim's lock is no longer renewed and expires (lockTtlMs): the retry gets it.
        const retried = await sendUntilAcked(kind, copy, other);
        expect(kind.acked(retried), retried.body).toBe(true);
        // At least once on a crash: the victim's call began and never ended; the payment is recorded once.
        const counted = cluster.log.count(orderId);
        expect({ ...counted, keys: counted.keys.length }).toEqual({ started: 2, ended: 1, recorded: 1, keys: 1 });
        // Nothing stuck: the restarted instance and the others acknowledge later copies and call nothing.
        await victim.launch();
        for (const instance of instances) expect(kind.acked(await send(copy, instance.url))).toBe(true);
        expect(cluster.log.count(orderId).started).toBe(2);
      } finally {
        release();
        if (!victim.running) await victim.launch();
      }
    },
    120_000,
  );

  it('an onPaid longer than lockTtlMs keeps its lock: copies at other instances never run it meanwhile', async () => {
    const kind = kinds[0]!;
    const orderId = newOrderId(3456);
    const { copy, release } = await heldNotify(kind, orderId);
    const [slow, ...others] = instances;
    try {
      await slow!.slow(4 * LOCK_TTL_MS);
      const state = { done: false };
      const first = send(copy, slow!.url).finally(() => (state.done = true));
      await until(
        () => cluster.log.about({ orderId }).some((l) => l.type === 'paid-start'),
        'onPaid to start on the slow instance',
      );
      // Copies keep arriving at the other instances for as long as the slow onPaid runs, past its lock's TTL.
      const answers: Answer[] = [];
      while (!state.done) {
        answers.push(...(await Promise.all(others.map((i) => send(copy, i.url)))));
      }
      expect(kind.acked(await first)).toBe(true);
      for (const answer of answers) expect(kind.acked(answer) || kind.retry(answer), answer.body).toBe(true);
      const starts = cluster.log.about({ orderId }).filter((l) => l.type === 'paid-start');
      expect(starts.map((l) => l.instance)).toEqual([victimName(slow!)]);
      expect(cluster.log.count(orderId)).toMatchObject({ started: 1, ended: 1, recorded: 1 });
    } finally {
      release();
      await slow!.slow(0);
    }
  }, 120_000);
});

describeWithRedis('several instances, restarted', () => {
  it('all instances restarted between checkouts and notifies: each fulfils once, settles, refunds', async () => {
    const held = [];
    for (const kind of kinds) {
      const orderId = newOrderId(4567);
      held.push({ kind, orderId, ...(await heldNotify(kind, orderId)) });
    }
    await Promise.all(instances.map((i) => i.restart()));
    for (const { kind, orderId, copy, release } of held) {
      release();
      // Through the load balancer, as the provider's retry arrives, then a copy at every instance.
      const answer = await sendUntilAcked(kind, copy, cluster.balancer.url);
      expect(kind.acked(answer), answer.body).toBe(true);
      for (const instance of instances) expect(kind.acked(await send(copy, instance.url))).toBe(true);
      expect(counted(orderId), kind.name).toEqual({ started: 1, ended: 1, recorded: 1, keys: 1 });
      // A reconcile job on the same Redis finds the payment recorded, and refunds it.
      const payments = cluster.job.at(kind.mount);
      expect(await payments.settle(kind.provider, orderId)).toBe('paid');
      const refund = await payments.refund({ provider: kind.provider, orderId, refundId: `F${orderId}`, amount: 100 });
      expect(refund.status, kind.name).not.toBe('failed');
      expect(counted(orderId).started).toBe(1);
    }
  }, 180_000);

  it('redis-server stopped: notifies ask for a retry and call no hook; back, the retry fulfils once', async () => {
    const held = [];
    for (const kind of kinds) {
      const orderId = newOrderId(5678);
      held.push({ kind, orderId, ...(await heldNotify(kind, orderId)) });
    }
    await cluster.redis.stop();
    try {
      for (const { kind, copy } of held) {
        for (const instance of instances) {
          const answer = await send(copy, instance.url);
          expect(kind.retry(answer), `${kind.name}: ${answer.status} ${answer.body}`).toBe(true);
        }
      }
      // A checkout cannot record its trade number either: 503, with an error that names the store.
      const checkout = await postJson(`${cluster.balancer.url}/pay/checkout`, {
        orderId: newOrderId(100),
        provider: 'alipay',
        channel: 'app',
      });
      expect(checkout.status).toBe(503);
      expect(JSON.stringify(checkout.body)).toMatch(/redisStore/);
      for (const { orderId } of held) expect(cluster.log.about({ orderId })).toEqual([]);
    } finally {
      await cluster.redis.restart();
    }
    for (const [i, { kind, orderId, copy, release }] of held.entries()) {
      release();
      // Each instance's client reconnects on its own; until it has, its answer still asks for a retry.
      for (const instance of [...instances.slice(i % 3), ...instances.slice(0, i % 3)]) {
        const answer = await sendUntilAcked(kind, copy, instance, 150);
        expect(kind.acked(answer), `${kind.name} at ${instance.name}: ${answer.status} ${answer.body}`).toBe(true);
      }
      expect(counted(orderId), kind.name).toEqual({ started: 1, ended: 1, recorded: 1, keys: 1 });
    }
  }, 180_000);
});

/** The name an instance writes in the log: its name and process id. */
const victimName = (instance: Instance) => `${instance.name}/${instance.pid}`;
