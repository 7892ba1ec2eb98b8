import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { ALIPAY_CONTENT_TYPE, alipayNotifyFields, formBody, signNotify, signNotifySync } from '../alipay-input.js';
import type { BenchCase } from '../harness.js';
import type { RsaPair } from '../keys.js';
import { pinSelf } from '../pin.js';
import { check, type Section } from '../section.js';
import { variantApps } from './apps.js';
import { RawClient } from './client.js';
import {
  DISTINCT,
  HTTP_RATIOS,
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
 * alone: it is the same for every variant.
 */

const ORDER_ID = 'ORDER20261125000001';

/** Signs `size` distinct notifies per distinct variant, on every core. */
async function signPools(size: number, key: RsaPair['privateKey']): Promise<Map<Variant, string[]>> {
  pinSelf('0,1');
  try {
    const pools = new Map<Variant, string[]>();
    for (const [n, variant] of DISTINCT.entries()) {
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
  const pools = await signPools(poolSize, keys.alipay.privateKey);
  const same = formBody(signNotifySync(alipayNotifyFields(ORDER_ID), keys.alipay.privateKey));
  const tampered = same.replace('total_amount=88.88', 'total_amount=0.01');
  const config: ServerConfig = {
    variants: [...VARIANTS],
    appPrivatePem: keys.app.privatePem,
    alipayPublicPem: keys.alipay.publicPem,
    orderId: ORDER_ID,
    poolSize,
  };
  const fresh = new Map<Variant, { sent: number; paid: number }>(DISTINCT.map((v) => [v, { sent: 0, paid: 0 }]));
  const apps = variantApps(config, (variant) => fresh.get(variant)!.paid++);
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
  for (const v of VARIANTS) clients.set(v, await RawClient.open(port));
  const cannedClient = await RawClient.open(cannedPort);

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
  for (const v of VARIANTS) {
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

  const cases: BenchCase[] = VARIANTS.map((v) => ({
    id: `http.${v}`,
    label: VARIANT_LABELS[v],
    run: () => send(v),
    weight: v === 'express-alipay-sdk' ? 0.5 : 1,
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
      'KeyObject, the same without the verify, and an Express route on alipay-sdk `checkNotifySignV2`.',
    cases,
    comparisons: HTTP_RATIOS.map(([subject, baseline, target]) => ({
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
      const shares = DISTINCT.map((v) => {
        const f = fresh.get(v)!;
        return `${v} ${f.sent > 0 ? Math.round((100 * f.paid) / f.sent) : 0} %`;
      });
      return (
        `Distinct requests that fulfilled a new payment: ${shares.join(', ')}; ` +
        `responses other than 200 \`success\`: ${failures}.`
      );
    },
    close() {
      for (const c of clients.values()) c.close();
      cannedClient.close();
      server.close();
      canned.close();
    },
  };
}
