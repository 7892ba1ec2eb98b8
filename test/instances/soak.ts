/**
 * A bounded chaos run (`npm run soak`, not part of `npm test`): three instance processes on one
 * redis-server (AOF, `appendfsync always`), the sandbox paying orders of every provider, copies of
 * notifies sent again to other instances, and an instance killed with SIGKILL (then started again)
 * every few seconds, some of them inside `onPaid`. At the end every payment must be recorded once
 * (docs/state.md#locks).
 *
 *   npm run soak -- [--orders 10000] [--duplicates 0.2] [--kill-every 3000] [--minutes 3]
 *                   [--concurrency 48] [--time-scale 0.01]
 *
 * It prints, per transaction, how many `onPaid` calls began and how many fulfilments were
 * recorded, and exits 1 unless every order was paid and fulfilled and none was recorded twice.
 * Checkouts stop 15 s before the end, so that the last notifies arrive. An order whose payment no
 * notify recorded in time is settled at the end, as a reconcile job would, and the run says why
 * each such order needed it: its notify's attempts (given up by the provider, or still retrying
 * when the time ran out) and its `onPaid` calls.
 */
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import type { Delivery } from '../../src/sandbox/index.js';
import { send, startCluster, type Captured, type Cluster, type Instance } from './cluster.js';
import { newOrderId } from './protocol.js';

const { values } = parseArgs({
  options: {
    orders: { type: 'string', default: '10000' },
    duplicates: { type: 'string', default: '0.2' },
    'kill-every': { type: 'string', default: '3000' },
    minutes: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '48' },
    'time-scale': { type: 'string', default: '0.01' },
  },
});
const ORDERS = Number(values.orders);
const DUPLICATES = Number(values.duplicates);
const KILL_EVERY_MS = Number(values['kill-every']);
const STARTED = Date.now();
/** The whole run, start to verdict. */
const DEADLINE = STARTED + Number(values.minutes) * 60_000;
/** No new checkout after this: the last notifies (and a retry or two) get the time left. */
const LAST_CHECKOUT = DEADLINE - 15_000;
/** Orders checked out and paid at once: enough to keep every process busy through kills and restarts. */
const CONCURRENCY = Number(values.concurrency);
/**
 * The sandbox's factor on the providers' retry schedules. Its default, 0.001, squeezes UnionPay's
 * whole schedule (retries 0, 1, 2 and 4 minutes apart) into 420 ms, less than `LOCK_TTL_MS`: a
 * UnionPay notify whose holder was killed inside `onPaid` could be given up before the dead
 * holder's lock expired, which never happens at real speed (a 30 s lock against minutes of
 * retries, docs/state.md#locks). At 0.01 every provider still retries after the lock expired.
 */
const TIME_SCALE = Number(values['time-scale']);
/** The lock of a killed holder expires after this; short, so that its retry succeeds soon. */
const LOCK_TTL_MS = 2000;
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
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
/** The value below which `share` of `values` lie. */
const percentile = (values: number[], share: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * share))] ?? 0;

interface Order {
  kind: Kind;
  id: string;
}

/** How long the checkouts and the payments at the sandbox took, for the figures printed at the end. */
const timings = { checkout: [] as number[], pay: [] as number[], refused: {} as Record<string, number> };

/**
 * Checks an order out and pays it at the sandbox; false when no checkout succeeded within a
 * minute. A checkout that met a killed instance (502), a busy lock (503) or the limit on new trade
 * numbers (429, after checkouts cut short by kills) is tried again, as a buyer would.
 */
async function payOne(cluster: Cluster, order: Order): Promise<boolean> {
  const { kind, id } = order;
  const giveUp = Date.now() + 60_000;
  for (;;) {
    const began = Date.now();
    const res = await fetch(`${cluster.balancer.url}${kind.mount}/checkout`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ orderId: id, provider: kind.provider, channel: 'app' }),
    }).catch(() => undefined);
    const body = res ? ((await res.json().catch(() => ({}))) as { params?: unknown }) : {};
    if (res?.status === 200) {
      const checkedOut = Date.now();
      timings.checkout.push(checkedOut - began);
      const paid = await fetch(`${cluster.sandbox.url}/${kind.provider}/app/pay`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ params: body.params, action: 'pay' }),
      });
      await paid.arrayBuffer();
      if (paid.status !== 200) throw new Error(`the sandbox refused to pay ${id}: ${paid.status}`);
      timings.pay.push(Date.now() - checkedOut);
      return true;
    }
    const status = String(res?.status ?? 'no answer');
    timings.refused[status] = (timings.refused[status] ?? 0) + 1;
    if (Date.now() > giveUp) return false;
    await sleep(res?.status === 429 ? 5000 : 200);
  }
}

/** One line on why an order was left to the reconcile job: its notify's attempts, its `onPaid` calls. */
function whyUnsettled(cluster: Cluster, order: Order, deliveries: Delivery[]): string {
  const attempts = deliveries.map(
    (d) =>
      `[${d.attempts.map((a) => a.status ?? a.error?.slice(0, 40) ?? '?').join(', ')}]` +
      (d.acknowledged ? ' acknowledged' : d.finished ? ' given up' : ' still retrying'),
  );
  const calls = cluster.log
    .about({ orderId: order.id })
    .filter((l) => l.type === 'paid-start' || l.type === 'paid-end');
  const hooks = calls.map((l) => `${l.type} ${l.instance}`).join(', ') || 'no onPaid';
  return `${order.kind.provider}${order.kind.mount} ${order.id}: attempts ${attempts.join(' ') || 'none'}; ${hooks}`;
}

async function main(): Promise<void> {
  const cluster = await startCluster({
    instances: [
      { framework: 'express', client: 'node-redis' },
      { framework: 'koa', client: 'ioredis' },
      { framework: 'express', client: 'ioredis' },
    ],
    lockTtlMs: LOCK_TTL_MS,
    lockWaitMs: 1000,
    aof: true,
    timeScale: TIME_SCALE,
    // A start through tsx costs seconds of CPU, and one comes every few seconds.
    bundled: true,
  });
  const redis = new Redis(cluster.redis.url);
  const running = () => cluster.instances.filter((i) => i.running);
  let kills = 0;
  let duplicatesSent = 0;
  const restartMs: number[] = [];
  const run = { stopping: false };
  const stopped = () => run.stopping;
  try {
    for (const instance of cluster.instances) await instance.slow(ON_PAID_MS);
    const orders: Order[] = Array.from({ length: ORDERS }, (_, i) => ({
      kind: kinds[i % kinds.length]!,
      id: newOrderId(100 + i),
    }));
    log(
      `${ORDERS} orders over ${cluster.instances.length} instances, ${DUPLICATES * 100} % duplicates, ` +
        `ready in ${seconds(Date.now() - STARTED)}`,
    );

    // Kills: SIGKILL, then started again in the background; one instance always stays up.
    const relaunches: Promise<void>[] = [];
    const starting = new Set<Instance>();
    const relaunch = async (instance: Instance) => {
      starting.add(instance);
      const began = Date.now();
      try {
        // A start that fails on this loaded machine (no port within the timeout) is tried again.
        for (let attempt = 1; ; attempt++) {
          try {
            await instance.launch();
            await instance.slow(ON_PAID_MS);
            restartMs.push(Date.now() - began);
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

    // Duplicates: copies of notifies the sandbox sent, sent again to a random instance. The
    // balancer's list only grows: each pass reads what arrived since the last one.
    const duplicator = (async () => {
      let read = 0;
      while (!run.stopping) {
        await sleep(50);
        const requests: Captured[] = cluster.balancer.requests;
        for (; read < requests.length; read++) {
          const req = requests[read]!;
          if (!req.path.includes('/notify/') || Math.random() >= DUPLICATES) continue;
          const target = pick(running());
          if (!target) continue;
          duplicatesSent++;
          void send(req, target.url).catch(() => undefined);
        }
      }
    })();

    let next = 0;
    const paying = Date.now();
    const paid: Order[] = [];
    const notCheckedOut: Order[] = [];
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < orders.length && Date.now() < LAST_CHECKOUT) {
          const order = orders[next++]!;
          ((await payOne(cluster, order)) ? paid : notCheckedOut).push(order);
        }
      }),
    );
    const payingMs = Date.now() - paying;
    log(
      `${paid.length} orders paid at the sandbox in ${seconds(payingMs)} ` +
        `(${((paid.length * 1000) / payingMs).toFixed(1)}/s), ${notCheckedOut.length} never checked out; ` +
        `waiting for their notifies`,
    );

    // Every order's payment is recorded once the provider's retries got through.
    const recordedIn = async (o: Order) => (await redis.exists(`paymount:order:${o.kind.provider}:${o.id}`)) === 1;
    const unrecorded = async (list: Order[]) => {
      const flags = await Promise.all(list.map(recordedIn));
      return list.filter((_, i) => !flags[i]);
    };
    let pending = await unrecorded(paid);
    // Until every payment is recorded, or the sandbox has finished every delivery (acknowledged or
    // given up), or the time is up. Checked once more after: a payment recorded during the last wait
    // is not the reconcile job's.
    while (pending.length > 0 && Date.now() < DEADLINE && cluster.sandbox.deliveries.some((d) => !d.finished)) {
      await sleep(500);
      pending = await unrecorded(pending);
    }
    const waitedMs = Date.now() - paying - payingMs;
    // What the provider gave up on (its retry schedule ran out), a reconcile job settles.
    const byNotify = paid.length - pending.length;
    const deliveriesOf = new Map<string, Delivery[]>();
    for (const d of cluster.sandbox.deliveries)
      deliveriesOf.set(d.orderId, [...(deliveriesOf.get(d.orderId) ?? []), d]);
    const reasons = pending.map((order) => whyUnsettled(cluster, order, deliveriesOf.get(order.id) ?? []));
    for (const order of pending) {
      await cluster.job
        .at(order.kind.mount)
        .settle(order.kind.provider, order.id)
        .catch(() => undefined);
    }
    pending = await unrecorded(pending);
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
    const fulfilled = paid.length - pending.length;
    const twice = [...recorded.values()].filter((n) => n > 1).length;
    const notifies = cluster.balancer.requests.filter((r) => r.path.includes('/notify/')).length + duplicatesSent;
    const gaveUp = cluster.sandbox.deliveries.filter((d) => d.finished && !d.acknowledged);
    log(
      `checkout p50 ${percentile(timings.checkout, 0.5)} ms, p95 ${percentile(timings.checkout, 0.95)} ms ` +
        `(refused: ${JSON.stringify(timings.refused)}); pay at the sandbox p50 ${percentile(timings.pay, 0.5)} ms, ` +
        `p95 ${percentile(timings.pay, 0.95)} ms; notifies waited for ${seconds(waitedMs)}`,
    );
    log(
      `notifies sent: ${notifies} (${duplicatesSent} duplicates), instances killed: ${kills}, ` +
        `restarted in p50 ${seconds(percentile(restartMs, 0.5))}, max ${seconds(Math.max(0, ...restartMs))}`,
    );
    log(
      `fulfilled by a notify: ${byNotify}, by a reconcile job: ${reasons.length}; ` +
        `given up by the provider: ${gaveUp.length} (${gaveUp.map((d) => d.provider).join(', ') || 'none'})`,
    );
    for (const reason of reasons.slice(0, 20)) log(`  reconciled ${reason}`);
    // A transaction recorded twice: its onPaid calls and fulfilments, by instance and time.
    for (const [key] of [...recorded].filter(([, n]) => n > 1).slice(0, 20)) {
      const about = lines.filter((l) => l.key === key);
      const t0 = about[0]?.at ?? 0;
      log(`  recorded twice ${key}: ${about.map((l) => `${l.type} ${l.instance} +${l.at - t0} ms`).join(', ')}`);
    }
    log(`onPaid calls begun per transaction: ${JSON.stringify(histogram(started.values()))}`);
    log(`fulfilments recorded per transaction: ${JSON.stringify(histogram(recorded.values()))}`);
    // A process killed between writing the record and its log line leaves a record with no line.
    const unlogged = [...started.keys()].filter((key, i) => paidKeys[i] && !recorded.has(key)).length;
    log(
      `payment records in Redis: ${paidKeys.filter(Boolean).length}/${started.size} transactions ` +
        `(${unlogged} written by an instance killed before it logged them)`,
    );
    log(`whole run: ${seconds(Date.now() - STARTED)}`);
    // Of the orders paid at the provider, how many were fulfilled; orders the time did not reach are not payments.
    log(`orders paid at the provider: ${paid.length} of the ${ORDERS} asked for`);
    console.log(`transactions fulfilled: ${fulfilled}/${paid.length}, recorded twice: ${twice}`);
    process.exitCode = fulfilled === paid.length && paid.length > 0 && twice === 0 ? 0 : 1;
  } finally {
    run.stopping = true;
    redis.disconnect();
    await cluster.close();
  }
}

await main();
