/**
 * A bounded chaos run (`npm run soak`, not part of `npm test`): three instance processes on one
 * redis-server, the sandbox paying orders of every provider, copies of notifies sent again to other
 * instances, and an instance killed with SIGKILL (then started again) every few seconds, some of
 * them inside `onPaid`. At the end every payment must be recorded once (docs/state.md#locks).
 *
 *   npm run soak -- [--orders 600] [--duplicates 0.2] [--kill-every 3000] [--minutes 3]
 *
 * It prints, per transaction, how many `onPaid` calls began and how many fulfilments were
 * recorded, and exits 1 unless every transaction was fulfilled and none was recorded twice.
 */
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { send, startCluster, type Captured, type Cluster, type Instance } from './cluster.js';
import { newOrderId } from './protocol.js';

const { values } = parseArgs({
  options: {
    orders: { type: 'string', default: '600' },
    duplicates: { type: 'string', default: '0.2' },
    'kill-every': { type: 'string', default: '3000' },
    minutes: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '4' },
  },
});
const ORDERS = Number(values.orders);
const DUPLICATES = Number(values.duplicates);
const KILL_EVERY_MS = Number(values['kill-every']);
const DEADLINE = Date.now() + Number(values.minutes) * 60_000;
const CONCURRENCY = Number(values.concurrency);
/** Long enough for a kill to land inside it now and then. */
const ON_PAID_MS = 20;

interface Kind {
  provider: 'alipay' | 'wechatpay' | 'unionpay';
  mount: '/pay' | '/pay-v2';
}
const kinds: Kind[] = [
  { provider: 'alipay', mount: '/pay' },
  { provider: 'wechatpay', mount: '/pay' },
  { provider: 'wechatpay', mount: '/pay-v2' },
  { provider: 'unionpay', mount: '/pay' },
];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const pick = <T>(items: T[]): T | undefined => items[Math.floor(Math.random() * items.length)];
const log = (message: string) => console.log(`[soak ${new Date().toISOString().slice(11, 19)}] ${message}`);

async function payOne(cluster: Cluster, kind: Kind, orderId: string): Promise<void> {
  // A checkout that met a killed instance (502) or a busy lock is tried again, as a buyer would.
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(`${cluster.balancer.url}${kind.mount}/checkout`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ orderId, provider: kind.provider, channel: 'app' }),
    }).catch(() => undefined);
    const body = res ? ((await res.json().catch(() => ({}))) as { params?: unknown }) : {};
    if (res?.status === 200) {
      const paid = await fetch(`${cluster.sandbox.url}/${kind.provider}/app/pay`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ params: body.params, action: 'pay' }),
      });
      await paid.arrayBuffer();
      if (paid.status !== 200) throw new Error(`the sandbox refused to pay ${orderId}: ${paid.status}`);
      return;
    }
    if (attempt >= 20) throw new Error(`checkout of ${orderId} kept failing: ${res?.status}`);
    await sleep(200);
  }
}

async function main(): Promise<void> {
  const cluster = await startCluster({
    instances: [
      { framework: 'express', client: 'node-redis' },
      { framework: 'koa', client: 'ioredis' },
      { framework: 'express', client: 'ioredis' },
    ],
    lockTtlMs: 2000,
    lockWaitMs: 1000,
    aof: true,
  });
  const redis = new Redis(cluster.redis.url);
  const running = () => cluster.instances.filter((i) => i.running);
  let kills = 0;
  let duplicatesSent = 0;
  const run = { stopping: false };
  const stopped = () => run.stopping;
  try {
    for (const instance of cluster.instances) await instance.slow(ON_PAID_MS);
    const orders = Array.from({ length: ORDERS }, (_, i) => ({
      kind: kinds[i % kinds.length]!,
      id: newOrderId(100 + i),
    }));
    log(`${ORDERS} orders over ${cluster.instances.length} instances, ${DUPLICATES * 100} % duplicates`);

    // Kills: SIGKILL, then started again in the background; one instance always stays up.
    const relaunches: Promise<void>[] = [];
    const starting = new Set<Instance>();
    const relaunch = async (instance: Instance) => {
      starting.add(instance);
      try {
        // A start that fails on this loaded machine (no port within the timeout) is tried again.
        for (let attempt = 1; ; attempt++) {
          try {
            await instance.launch();
            await instance.slow(ON_PAID_MS);
            return;
          } catch (error) {
            await instance.kill();
            if (attempt >= 3) throw error;
          }
        }
      } finally {
        starting.delete(instance);
      }
    };
    const killer = (async () => {
      while (!run.stopping) {
        await sleep(KILL_EVERY_MS * (0.5 + Math.random()));
        // Only instances that listen, and never the last one.
        const up = running().filter((i) => !starting.has(i));
        const victim: Instance | undefined = up.length > 1 ? pick(up) : undefined;
        if (!victim || stopped()) continue;
        await victim.kill();
        kills++;
        relaunches.push(relaunch(victim).catch((error: unknown) => log(`restart failed: ${String(error)}`)));
      }
    })();

    // Duplicates: copies of notifies the sandbox sent, sent again to a random instance.
    const sent = new Set<Captured>();
    const duplicator = (async () => {
      while (!run.stopping) {
        await sleep(50);
        for (const req of cluster.balancer.requests) {
          if (sent.has(req) || !req.path.includes('/notify/')) continue;
          sent.add(req);
          if (Math.random() >= DUPLICATES) continue;
          const target = pick(running());
          if (!target) continue;
          duplicatesSent++;
          void send(req, target.url).catch(() => undefined);
        }
      }
    })();

    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < orders.length && Date.now() < DEADLINE) {
          const order = orders[next++]!;
          await payOne(cluster, order.kind, order.id);
        }
      }),
    );
    log(`all orders paid at the sandbox; waiting for their notifies`);

    // Every order's payment is recorded once the provider's retries got through.
    const recordedIn = async (o: { kind: Kind; id: string }) =>
      (await redis.exists(`paymount:order:${o.kind.provider}:${o.id}`)) === 1;
    let pending = orders;
    // Until every payment is recorded, or the sandbox has finished every delivery (acknowledged or given up).
    while (pending.length > 0 && Date.now() < DEADLINE && cluster.sandbox.deliveries.some((d) => !d.finished)) {
      const flags = await Promise.all(pending.map(recordedIn));
      pending = pending.filter((_, i) => !flags[i]);
      if (pending.length > 0) await sleep(500);
    }
    // What the provider gave up on (its retry schedule ran out), a reconcile job settles.
    const byNotify = ORDERS - pending.length;
    for (const order of pending) {
      await cluster.job
        .at(order.kind.mount)
        .settle(order.kind.provider, order.id)
        .catch(() => undefined);
    }
    pending = (await Promise.all(pending.map(async (o) => ((await recordedIn(o)) ? undefined : o)))).filter(
      (o) => o !== undefined,
    );
    run.stopping = true;
    await Promise.all([killer, duplicator, ...relaunches]);
    // Copies still in flight settle before counting.
    await sleep(2000);

    const lines = cluster.log.lines();
    const ordersById = new Map(orders.map((o) => [o.id, o]));
    const started = new Map<string, number>();
    const recorded = new Map<string, number>();
    for (const line of lines) {
      if (line.type === 'paid-start' && line.orderId && ordersById.has(line.orderId)) {
        started.set(line.key, (started.get(line.key) ?? 0) + 1);
      }
      if (line.type === 'recorded') recorded.set(line.key, (recorded.get(line.key) ?? 0) + 1);
    }
    const histogram = (counts: Iterable<number>) => {
      const out: Record<string, number> = {};
      for (const n of counts) out[n] = (out[n] ?? 0) + 1;
      return out;
    };
    const paidKeys = await Promise.all(
      [...started.keys()].map(async (key) => (await redis.exists(`paymount:paid:${key}`)) === 1),
    );
    const fulfilled = ORDERS - pending.length;
    const twice = [...recorded.values()].filter((n) => n > 1).length;
    const notifies = cluster.balancer.requests.filter((r) => r.path.includes('/notify/')).length + duplicatesSent;
    const gaveUp = cluster.sandbox.deliveries.filter((d) => d.finished && !d.acknowledged).length;
    log(`notifies sent: ${notifies} (${duplicatesSent} duplicates), instances killed: ${kills}`);
    log(`fulfilled by a notify: ${byNotify}, by a reconcile job: ${fulfilled - byNotify}; given up: ${gaveUp}`);
    log(`onPaid calls begun per transaction: ${JSON.stringify(histogram(started.values()))}`);
    log(`fulfilments recorded per transaction: ${JSON.stringify(histogram(recorded.values()))}`);
    log(`payment records in Redis: ${paidKeys.filter(Boolean).length}/${started.size} transactions`);
    console.log(`transactions fulfilled: ${fulfilled}/${ORDERS}, recorded twice: ${twice}`);
    process.exitCode = fulfilled === ORDERS && twice === 0 ? 0 : 1;
  } finally {
    run.stopping = true;
    redis.disconnect();
    await cluster.close();
  }
}

await main();
