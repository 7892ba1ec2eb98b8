/**
 * A bounded chaos run of the notify path (`npm run soak`, not part of `npm test`): three instance
 * processes on one redis-server (AOF, `appendfsync always`), paid notifies of every provider
 * (Alipay, WeChat Pay API v3 and v2, UnionPay), copies of notifies sent again to other instances,
 * and an instance killed with SIGKILL (then started again) every few seconds, some of them inside
 * `onPaid`. At the end every payment must be recorded once (docs/state.md#locks).
 *
 *   npm run soak -- [--orders 10000] [--checkouts 0.03] [--duplicates 0.2] [--kill-every 3000]
 *                   [--minutes 3] [--concurrency 48] [--checkout-concurrency 8] [--time-scale 0.01]
 *
 * A share of the orders (`--checkouts`) takes the whole path: a checkout through the load balancer,
 * the payment at the sandbox, and the sandbox's own notify with its retries. For the others this
 * process plays the provider (`notifies.ts`, `notify-sender.ts`): the notify the sandbox would send,
 * signed with the provider's key from the sandbox's state dir, posted straight to an instance and
 * retried on the provider's schedule (scaled like the sandbox's) to another instance while the
 * answer is not the acknowledgement or the connection died. That keeps the CPU on the instances
 * under test: a checkout and a payment at the sandbox cost several times what the notify costs.
 *
 * It prints, per transaction, how many `onPaid` calls began and how many fulfilments were
 * recorded, where the CPU went (this process, each instance, redis-server), and exits 1 unless
 * every order asked for was fulfilled and none was recorded twice. No notify starts in the last
 * 15 s, so that the last ones (and a retry or two) arrive. An order of the whole path whose
 * payment no notify recorded in time is settled at the end, as a reconcile job would, and the run
 * says why each such order needed it: its notify's attempts (given up by the provider, or still
 * retrying when the time ran out) and its `onPaid` calls.
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import type { Delivery } from '../../src/sandbox/index.js';
import { processCpuMs, send, startCluster, type Captured, type Cluster, type Instance } from './cluster.js';
import { paidNotify, readProviderKeys, type Notify } from './notifies.js';
import { NotifySender, post, type Sending } from './notify-sender.js';
import { newOrderId, orderAmount } from './protocol.js';

const { values } = parseArgs({
  options: {
    orders: { type: 'string', default: '10000' },
    checkouts: { type: 'string', default: '0.03' },
    duplicates: { type: 'string', default: '0.2' },
    'kill-every': { type: 'string', default: '3000' },
    minutes: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '48' },
    'checkout-concurrency': { type: 'string', default: '8' },
    'time-scale': { type: 'string', default: '0.01' },
  },
});
const ORDERS = Number(values.orders);
/** The share of orders checked out and paid at the sandbox; the others' notifies come from this process. */
const CHECKOUTS = Number(values.checkouts);
const DUPLICATES = Number(values.duplicates);
const KILL_EVERY_MS = Number(values['kill-every']);
const STARTED = Date.now();
const CPU_AT_START = process.cpuUsage();
/** The whole run, start to verdict. */
const DEADLINE = STARTED + Number(values.minutes) * 60_000;
/** No new checkout or notify after this: the last notifies (and a retry or two) get the time left. */
const LAST_CHECKOUT = DEADLINE - 15_000;
/** Notifies this process has in flight at once (first attempts): enough to keep every instance busy. */
const CONCURRENCY = Number(values.concurrency);
/** Orders checked out and paid at the sandbox at once. */
const CHECKOUT_CONCURRENCY = Number(values['checkout-concurrency']);
/**
 * The factor on the providers' retry schedules, the sandbox's and this process's. The sandbox's
 * default, 0.001, squeezes UnionPay's whole schedule (retries 0, 1, 2 and 4 minutes apart) into
 * 420 ms, less than `LOCK_TTL_MS`: a UnionPay notify whose holder was killed inside `onPaid`
 * could be given up before the dead holder's lock expired, which never happens at real speed (a
 * 30 s lock against minutes of retries, docs/state.md#locks). At 0.01 every provider still
 * retries after the lock expired.
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
  /** Checked out and paid at the sandbox, which sends the notify; else this process sends it. */
  checkout: boolean;
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

/** One line on why an order was not recorded by a notify: its notify's attempts, its `onPaid` calls. */
function whyUnsettled(cluster: Cluster, order: Order, deliveries: Delivery[], sending: Sending | undefined): string {
  const attempts = deliveries.map(
    (d) =>
      `[${d.attempts.map((a) => a.status ?? a.error?.slice(0, 40) ?? '?').join(', ')}]` +
      (d.acknowledged ? ' acknowledged' : d.finished ? ' given up' : ' still retrying'),
  );
  if (sending) {
    attempts.push(
      `[${sending.attempts.map((a) => `${a.instance} ${a.status ?? a.error?.slice(0, 40) ?? '?'}`).join(', ')}]` +
        (sending.acknowledged ? ' acknowledged' : sending.finished ? ' given up' : ' still retrying'),
    );
  }
  const calls = cluster.log
    .about({ orderId: order.id })
    .filter((l) => l.type === 'paid-start' || l.type === 'paid-end');
  const hooks = calls.map((l) => `${l.type} ${l.instance}`).join(', ') || 'no onPaid';
  return `${order.kind.provider}${order.kind.mount} ${order.id}: attempts ${attempts.join(' ') || 'none'}; ${hooks}`;
}

async function main(): Promise<void> {
  const loadAtStart = loadavg()[0]!;
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
    // The providers' keys, for the notifies this process signs.
    sandboxState: true,
    // Nothing is refunded: a start spends nothing on the client certificate refunds need.
    refunds: false,
  });
  const redis = new Redis(cluster.redis.url);
  const running = () => cluster.instances.filter((i) => i.running);
  const sender = new NotifySender(() => cluster.instances, TIME_SCALE);
  let kills = 0;
  let duplicatesSent = 0;
  const restartMs: number[] = [];
  const run = { stopping: false };
  const stopped = () => run.stopping;
  try {
    for (const instance of cluster.instances) await instance.slow(ON_PAID_MS);
    const everyCheckout = CHECKOUTS > 0 ? Math.max(1, Math.round(1 / CHECKOUTS)) : 0;
    const orders: Order[] = Array.from({ length: ORDERS }, (_, i) => ({
      kind: kinds[i % kinds.length]!,
      id: newOrderId(100 + i),
      // One round of the four kinds in every n, so that each kind gets its share.
      checkout: everyCheckout > 0 && Math.floor(i / kinds.length) % everyCheckout === 0,
    }));
    const byCheckout = orders.filter((o) => o.checkout);
    const byNotify = orders.filter((o) => !o.checkout);
    // Signed on the thread pool from now on, in order, while the run goes: the first are ready at once.
    const signing = Date.now();
    let signedMs = 0;
    const merchants = { sandbox: cluster.sandbox, keys: readProviderKeys(cluster.sandboxStateDir!) };
    const signed = new Map<string, Promise<Notify>>();
    byNotify.forEach((o, i) => signed.set(o.id, paidNotify(merchants, o.kind, o.id, orderAmount(o.id)!, i + 1)));
    void Promise.all(signed.values()).then(() => (signedMs = Date.now() - signing));
    log(
      `${ORDERS} orders over ${cluster.instances.length} instances (${byCheckout.length} through checkout and ` +
        `the sandbox), ${DUPLICATES * 100} % duplicates, ready in ${seconds(Date.now() - STARTED)}, ` +
        `load average ${loadAtStart.toFixed(1)}`,
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

    // Duplicates of the sandbox's notifies: copies of what it sent, sent again to a random instance.
    // The balancer's list only grows: each pass reads what arrived since the last one.
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

    const paying = Date.now();
    const paid: Order[] = [];
    const notCheckedOut: Order[] = [];
    const sendings = new Map<string, Sending>();
    let nextCheckout = 0;
    let nextNotify = 0;
    const done = { checkouts: 0, notifies: 0 };
    await Promise.all([
      ...Array.from({ length: CHECKOUT_CONCURRENCY }, async () => {
        while (nextCheckout < byCheckout.length && Date.now() < LAST_CHECKOUT) {
          const order = byCheckout[nextCheckout++]!;
          ((await payOne(cluster, order)) ? paid : notCheckedOut).push(order);
        }
        done.checkouts = Date.now() - paying;
      }),
      ...Array.from({ length: CONCURRENCY }, async () => {
        while (nextNotify < byNotify.length && Date.now() < LAST_CHECKOUT) {
          const order = byNotify[nextNotify++]!;
          const notify = await signed.get(order.id)!;
          paid.push(order);
          const first = sender.send(notify);
          // The copy goes out while the first attempt runs, to the next instance: the two race for the lock.
          if (Math.random() < DUPLICATES) {
            const target = sender.pick();
            if (target) {
              duplicatesSent++;
              void post(target.url, notify).catch(() => undefined);
            }
          }
          sendings.set(order.id, await first);
        }
        done.notifies = Date.now() - paying;
      }),
    ]);
    const payingMs = Date.now() - paying;
    log(
      `${paid.length} orders paid in ${seconds(payingMs)} (${((paid.length * 1000) / payingMs).toFixed(1)}/s; ` +
        `${paid.filter((o) => o.checkout).length} through checkout and the sandbox), ` +
        `${notCheckedOut.length} never checked out; the checkouts took ${seconds(done.checkouts)}, this ` +
        `process's notifies ${seconds(done.notifies)}; waiting for the last notifies`,
    );

    // Every order's payment is recorded once the provider's retries got through: its order record,
    // and its payment's dedupe record, which paymount writes last (src/core/fulfil.ts): an instance
    // killed between the two leaves the payment to the provider's retry.
    const recordedIn = async (o: Order) => {
      const settled = await redis.get(`paymount:order:${o.kind.provider}:${o.id}`);
      if (settled === null) return false;
      const { transactionId } = JSON.parse(settled) as { transactionId: string };
      return (await redis.exists(`paymount:paid:${o.kind.provider}:${transactionId}`)) === 1;
    };
    const unrecorded = async (list: Order[]) => {
      const flags = await Promise.all(list.map(recordedIn));
      return list.filter((_, i) => !flags[i]);
    };
    let pending = await unrecorded(paid);
    // Until every payment is recorded, or every delivery has finished (acknowledged or given up),
    // or the time is up. Checked once more after: a payment recorded during the last wait is not
    // the reconcile job's.
    const delivering = () => sender.busy || cluster.sandbox.deliveries.some((d) => !d.finished);
    while (pending.length > 0 && Date.now() < DEADLINE && delivering()) {
      await sleep(500);
      pending = await unrecorded(pending);
    }
    const waitedMs = Date.now() - paying - payingMs;
    const recordedByNotify = paid.length - pending.length;
    const deliveriesOf = new Map<string, Delivery[]>();
    for (const d of cluster.sandbox.deliveries)
      deliveriesOf.set(d.orderId, [...(deliveriesOf.get(d.orderId) ?? []), d]);
    const reasons = pending.map((order) =>
      whyUnsettled(cluster, order, deliveriesOf.get(order.id) ?? [], sendings.get(order.id)),
    );
    // What the provider gave up on (its retry schedule ran out), a reconcile job settles: the
    // sandbox answers its queries about the orders it was paid for; the others it never saw.
    let reconciled = 0;
    for (const order of pending.filter((o) => o.checkout)) {
      await cluster.job
        .at(order.kind.mount)
        .settle(order.kind.provider, order.id)
        .then(() => reconciled++)
        .catch(() => undefined);
    }
    pending = await unrecorded(pending);
    run.stopping = true;
    await Promise.all([killer, duplicator, sender.stop(), ...relaunches]);
    // Copies still in flight settle before counting.
    await sleep(2000);

    const lines = cluster.log.lines();
    const ordersById = new Map(orders.map((o) => [o.id, o]));
    const started = new Map<string, number>();
    const ended = new Set<string>();
    const recorded = new Map<string, number>();
    for (const line of lines) {
      if (line.type === 'paid-start' && line.orderId && ordersById.has(line.orderId)) {
        started.set(line.key, (started.get(line.key) ?? 0) + 1);
      }
      if (line.type === 'paid-end') ended.add(`${line.key} ${line.instance}`);
      if (line.type === 'recorded') recorded.set(line.key, (recorded.get(line.key) ?? 0) + 1);
    }
    // An onPaid that began and never ended on its process: that process was killed inside it.
    const cut = lines.filter((l) => l.type === 'paid-start' && !ended.has(`${l.key} ${l.instance}`)).length;
    const histogram = (counts: Iterable<number | string>) => {
      const out: Record<string, number> = {};
      for (const n of counts) out[n] = (out[n] ?? 0) + 1;
      return out;
    };
    const paidKeys = await Promise.all(
      [...started.keys()].map(async (key) => (await redis.exists(`paymount:paid:${key}`)) === 1),
    );
    const fulfilled = paid.length - pending.length;
    const twice = [...recorded.values()].filter((n) => n > 1).length;
    const notifies =
      cluster.balancer.requests.filter((r) => r.path.includes('/notify/')).length +
      [...sendings.values()].reduce((n, s) => n + s.attempts.length, 0) +
      duplicatesSent;
    const gaveUp = [
      ...cluster.sandbox.deliveries.filter((d) => d.finished && !d.acknowledged).map((d) => d.provider),
      ...[...sendings.values()].filter((s) => s.gaveUp).map((s) => s.notify.provider),
    ];
    const retried = [...sendings.values()].filter((s) => s.attempts.length > 1).length;
    log(
      `checkout p50 ${percentile(timings.checkout, 0.5)} ms, p95 ${percentile(timings.checkout, 0.95)} ms ` +
        `(refused: ${JSON.stringify(timings.refused)}); pay at the sandbox p50 ${percentile(timings.pay, 0.5)} ms, ` +
        `p95 ${percentile(timings.pay, 0.95)} ms; notifies signed in ${seconds(signedMs)}; ` +
        `notifies waited for ${seconds(waitedMs)}`,
    );
    log(
      `notifies sent: ${notifies} (${duplicatesSent} duplicates; ${retried} of this process's retried), ` +
        `instances killed: ${kills} (${cut} inside onPaid), restarted in p50 ${seconds(percentile(restartMs, 0.5))}, ` +
        `max ${seconds(Math.max(0, ...restartMs))}`,
    );
    log(
      `fulfilled by a notify: ${recordedByNotify}, by a reconcile job: ${reconciled}; ` +
        `given up by the provider: ${gaveUp.length} ${JSON.stringify(histogram(gaveUp))}`,
    );
    for (const reason of reasons.slice(0, 20)) log(`  not recorded by a notify: ${reason}`);
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
    // A transaction whose onPaid began but that has no payment record: its lines, by instance and time.
    for (const key of [...started.keys()].filter((_, i) => !paidKeys[i]).slice(0, 5)) {
      const about = lines.filter((l) => l.key === key);
      const t0 = about[0]?.at ?? 0;
      log(`  no payment record ${key}: ${about.map((l) => `${l.type} ${l.instance} +${l.at - t0} ms`).join(', ')}`);
    }
    log(
      `payment records in Redis: ${paidKeys.filter(Boolean).length}/${started.size} transactions ` +
        `(${unlogged} written by an instance killed before it logged them)`,
    );
    const cpu = process.cpuUsage(CPU_AT_START);
    const harnessMs = (cpu.user + cpu.system) / 1000;
    const instancesMs = cluster.instances.map((i) => i.cpuMs);
    const redisPid = cluster.redis.process?.pid;
    const redisMs = redisPid === undefined ? 0 : processCpuMs(redisPid);
    const perInstance = cluster.instances
      .map((i, n) => `${i.name} ${seconds(instancesMs[n]!)} (${i.starts} starts)`)
      .join(', ');
    const total = harnessMs + instancesMs.reduce((a, b) => a + b, 0) + redisMs;
    log(
      `CPU: this process (sandbox, load balancer, notifies) ${seconds(harnessMs)}, instances ` +
        `${perInstance}, ` +
        `redis-server ${seconds(redisMs)}; ${(total / Math.max(paid.length, 1)).toFixed(1)} ms per order paid; ` +
        `load average ${loadavg()[0]!.toFixed(1)}`,
    );
    log(`whole run: ${seconds(Date.now() - STARTED)}`);
    log(`orders paid at the provider: ${paid.length} of the ${ORDERS} asked for`);
    console.log(`transactions fulfilled: ${fulfilled}/${ORDERS}, recorded twice: ${twice}`);
    process.exitCode = fulfilled === ORDERS && twice === 0 ? 0 : 1;
  } finally {
    run.stopping = true;
    await sender.stop();
    redis.disconnect();
    await cluster.close();
  }
}

await main();
