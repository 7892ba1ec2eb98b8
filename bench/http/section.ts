import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { ALIPAY_CONTENT_TYPE, alipayNotifyFields, formBody, signNotify, signNotifySync } from '../alipay-input.js';
import type { BenchCase } from '../harness.js';
import type { RsaPair } from '../keys.js';
import { pinSelf } from '../pin.js';
import { check, type Section } from '../section.js';
import { variantApps } from './apps.js';
import { RawClient } from './client.js';
import { hasRedisServer, startBenchRedis, type BenchRedis } from './redis-server.js';
import {
  DISTINCT,
  HTTP_RATIOS,
  ON_REDIS,
  poolOrderId,
  VARIANT_LABELS,
  VARIANTS,
  variantPath,
  type ServerConfig,
  type Variant,
} from './protocol.js';

/**
 * The Express and Koa notify routes over real HTTP on loopback, measured like the in-process
 * cases: one server (every variant on one port, the first path segment picks it) and one
 * keep-alive connection per variant live in the bench process, and a case is one request sent and
 * its response read. A case's CPU time is therefore the server's work for one request plus the
 * kernel's loopback and this minimal client's share, which the "canned answer" case measures
 * alone: it is the same for every variant. The Redis-store variants also count the CPU time of
 * the redis-server they use (`redis-server.ts`), without which a request's cost would leave out
 * its store's.
 */

const ORDER_ID = 'ORDER20261125000001';

/** Signs `size` distinct notifies per distinct variant, on every core. */
async function signPools(
  size: number,
  key: RsaPair['privateKey'],
  variants: readonly Variant[],
): Promise<Map<Variant, string[]>> {
  pinSelf('0,1');
  try {
    const pools = new Map<Variant, string[]>();
    for (const [n, variant] of DISTINCT.entries()) {
      if (!variants.includes(variant)) continue;
      const bodies: string[] = [];
      for (let start = 0; start < size; start += 256) {
        const chunk = Array.from({ length: Math.min(256, size - start) }, (_, j) => start + j);
        const signed = await Promise.all(
          chunk.map((i) => signNotify(alipayNotifyFields(poolOrderId(variant, i), n * size + i + 1), key)),
        );
        for (const fields of signed) bodies.push(formBody(fields));
      }
      pools.set(variant, bodies);
    }
    return pools;
  } finally {
    pinSelf('0');
  }
}

const listen = (server: Server | ReturnType<typeof createNetServer>): Promise<number> =>
  new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));

/** A server that answers every request with a canned `success`, parsing only enough to find its end. */
function cannedServer(): ReturnType<typeof createNetServer> {
  const answer = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 7\r\n\r\nsuccess';
  return createNetServer((socket) => {
    let buffered = '';
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('latin1');
      for (;;) {
        const end = buffered.indexOf('\r\n\r\n');
        if (end < 0) return;
        const length = Number(/content-length: *(\d+)/i.exec(buffered.slice(0, end))?.[1] ?? 0);
        if (buffered.length < end + 4 + length) return;
        buffered = buffered.slice(end + 4 + length);
        socket.write(answer);
      }
    });
  });
}

export interface HttpSection extends Section {
  /** Closes the servers and connections. */
  close(): void;
}

export async function httpSection(keys: { app: RsaPair; alipay: RsaPair }, poolSize: number): Promise<HttpSection> {
  // Without redis-server the Redis-store variants are left out, and the report says so.
  const benchRedis: BenchRedis | undefined = hasRedisServer() ? await startBenchRedis() : undefined;
  const redis = benchRedis && new Redis(benchRedis.url);
  // Every round's store (a new prefix, see apps.ts) listens to the client's `error` and `ready` events; the
  // listeners only react to a lost connection, so the up to 90 rounds' worth of them cost nothing here.
  redis?.setMaxListeners(200);
  const variants = VARIANTS.filter((v) => benchRedis !== undefined || !ON_REDIS.includes(v));
  const distinct = DISTINCT.filter((v) => variants.includes(v));
  const pools = await signPools(poolSize, keys.alipay.privateKey, variants);
  const same = formBody(signNotifySync(alipayNotifyFields(ORDER_ID), keys.alipay.privateKey));
  const tampered = same.replace('total_amount=88.88', 'total_amount=0.01');
  const config: ServerConfig = {
    variants,
    appPrivatePem: keys.app.privatePem,
    alipayPublicPem: keys.alipay.publicPem,
    orderId: ORDER_ID,
    poolSize,
  };
  const fresh = new Map<Variant, { sent: number; paid: number }>(distinct.map((v) => [v, { sent: 0, paid: 0 }]));
  const apps = variantApps(config, (variant) => fresh.get(variant)!.paid++, redis);
  const server = createHttpServer((req, res) => {
    const url = req.url ?? '/';
    const cut = url.indexOf('/', 1);
    const app = apps.handlers.get(url.slice(1, cut) as Variant);
    if (!app) return void res.writeHead(404).end();
    req.url = url.slice(cut);
    app(req, res);
  });
  // The connections stay open for the whole run, idle between sections and warm-ups.
  server.keepAliveTimeout = 0;
  const canned = cannedServer();
  const [port, cannedPort] = [await listen(server), await listen(canned)];
  const clients = new Map<Variant, RawClient>();
  for (const v of variants) clients.set(v, await RawClient.open(port));
  const cannedClient = await RawClient.open(cannedPort);

  const redisCpu0 = benchRedis?.cpuMicros() ?? 0;
  let failures = 0;
  const next = new Map<Variant, number>();
  const send = async (v: Variant): Promise<void> => {
    const pool = pools.get(v);
    let body = same;
    if (pool) {
      const i = next.get(v) ?? 0;
      next.set(v, i + 1);
      body = pool[i % pool.length]!;
      fresh.get(v)!.sent++;
    }
    const answer = await clients.get(v)!.post(variantPath(v), ALIPAY_CONTENT_TYPE, body);
    if (answer.status !== 200 || answer.body !== 'success') failures++;
  };

  // Before timing: every variant answers `success` to the notify it will get, paymount refuses a forgery.
  const checks: string[] = [];
  for (const v of variants) {
    const first = await clients.get(v)!.post(variantPath(v), ALIPAY_CONTENT_TYPE, pools.get(v)?.[0] ?? same);
    if (!v.includes('paymount')) {
      check(checks, `${v}: 200 success for the signed notify`, first.status === 200 && first.body === 'success');
      continue;
    }
    const forged = await clients.get(v)!.post(variantPath(v), ALIPAY_CONTENT_TYPE, tampered);
    check(
      checks,
      `${v}: 200 success for the signed notify, ${forged.status} fail for the tampered copy`,
      first.status === 200 && first.body === 'success' && forged.status >= 400 && forged.body === 'fail',
    );
  }
  const cannedFirst = await cannedClient.post('/', ALIPAY_CONTENT_TYPE, same);
  check(checks, 'canned answer: 200 success', cannedFirst.status === 200 && cannedFirst.body === 'success');

  const cases: BenchCase[] = variants.map((v) => ({
    id: `http.${v}`,
    label: VARIANT_LABELS[v],
    run: () => send(v),
    weight: v === 'express-alipay-sdk' ? 0.5 : 1,
    otherCpuMicros: benchRedis && ON_REDIS.includes(v) ? () => benchRedis.cpuMicros() : undefined,
  }));
  cases.push({
    id: 'http.canned',
    label: 'loopback round trip with a canned answer (this client and the kernel, no HTTP server)',
    run: () => cannedClient.post('/', ALIPAY_CONTENT_TYPE, same),
    weight: 0.25,
  });

  return {
    title: 'HTTP notify routes (loopback, a signed 26-field Alipay notify of ~1.5 KB)',
    note:
      'paymount routes run a real `createPayments` with an in-memory order book and an idempotent no-op `onPaid`, ' +
      'mounted with `expressPayments` / `koaPayments` (no host body parser in front); the store is emptied before ' +
      'each round. "Same notify": all requests of a round but the first are dedupe hits. "Distinct notifies": ' +
      `${poolSize.toLocaleString('en-US')} notifies per variant for as many orders, pre-signed at start, so each ` +
      'request fulfils a new payment. Baselines: the same framework with its usual body parser ' +
      '(`express.urlencoded`, `@koa/bodyparser` + `@koa/router`) and a route doing one verify with a cached ' +
      'KeyObject, the same without the verify, and an Express route on alipay-sdk `checkNotifySignV2`. ' +
      (benchRedis
        ? '"Redis store": the same distinct notifies with `redisStore` (ioredis) on a redis-server of the ' +
          "bench's own (AOF `everysec`, no RDB, on the bench's core); their cost includes redis-server's CPU time."
        : '"Redis store" cases left out: redis-server is not installed (apt-get install redis-server).'),
    cases,
    comparisons: HTTP_RATIOS.filter(([subject]) => variants.includes(subject)).map(([subject, baseline, target]) => ({
      subject: `http.${subject}`,
      baseline: `http.${baseline}`,
      target,
    })),
    checks,
    everyTurn: true,
    beforeRound() {
      apps.reset();
      next.clear();
    },
    summary() {
      const shares = distinct.map((v) => {
        const f = fresh.get(v)!;
        return `${v} ${f.sent > 0 ? Math.round((100 * f.paid) / f.sent) : 0} %`;
      });
      const onRedis = ON_REDIS.reduce((sum, v) => sum + (fresh.get(v)?.sent ?? 0), 0);
      const redisShare =
        benchRedis && onRedis > 0
          ? ` redis-server's CPU time over the section: ${Math.round((benchRedis.cpuMicros() - redisCpu0) / onRedis)} ` +
            'µs per Redis-store request (warm-ups and idle time included).'
          : '';
      return (
        `Distinct requests that fulfilled a new payment: ${shares.join(', ')}; ` +
        `responses other than 200 \`success\`: ${failures}.${redisShare}`
      );
    },
    close() {
      for (const c of clients.values()) c.close();
      cannedClient.close();
      server.close();
      canned.close();
      redis?.disconnect();
      benchRedis?.close();
    },
  };
}
