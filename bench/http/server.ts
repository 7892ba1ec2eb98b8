/**
 * The HTTP bench's server process (started by bench/http/run.ts, pinned to CPU 0 when taskset
 * exists). It serves every variant on its own 127.0.0.1 port and answers the parent over IPC:
 * `reset` (fresh payments, empty store), `begin`/`end` (server CPU time and counters of the
 * measured window), `exit`.
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import { AlipaySdk } from 'alipay-sdk';
import express from 'express';
import Koa from 'koa';
import { expressPayments } from '../../adapters/express.js';
import { koaPayments } from '../../adapters/koa.js';
import { createPayments, type Payments } from '../../src/core/payments.js';
import type { Order } from '../../src/spi/types.js';
import { alipay } from '../../src/providers/alipay/index.js';
import { AMOUNT_FEN, APP_ID, NOTIFY_PATH, SELLER_ID, v1String } from '../alipay-input.js';
import { poolOrderId, type ServerConfig, type ServerReply, type ServerRequest, type Variant } from './protocol.js';

const config = JSON.parse(process.env.PAYMOUNT_BENCH_SERVER ?? '{}') as ServerConfig;
const alipayPublic: KeyObject = createPublicKey(config.alipayPublicPem);

/** The order book: the one order of the "same notify" variants and one order per pooled notify. */
const orders = new Map<string, Order>();
orders.set(config.orderId, { id: config.orderId, amount: AMOUNT_FEN, subject: 'bench order' });
for (let i = 0; i < config.poolSize; i++) {
  const id = poolOrderId(i);
  orders.set(id, { id, amount: AMOUNT_FEN, subject: 'bench order' });
}

const counters = { requests: 0, paid: 0 };
/** The host's own idempotency: onPaid does nothing for a key it has seen. */
const fulfilled = new Set<string>();

function newPayments(): Payments {
  fulfilled.clear();
  return createPayments({
    publicUrl: 'https://shop.example.com/pay',
    providers: {
      alipay: alipay({
        appId: APP_ID,
        privateKey: config.appPrivatePem,
        alipayPublicKey: config.alipayPublicPem,
        sellerId: SELLER_ID,
      }),
    },
    getOrder: (id) => orders.get(id) ?? null,
    onPaid: (event) => {
      if (fulfilled.has(event.idempotencyKey)) return;
      fulfilled.add(event.idempotencyKey);
      counters.paid++;
    },
    logger: false,
  });
}

let payments = newPayments();
// The mounted middlewares are rebuilt on reset; routes call through these so a reset reaches them.
let expressMiddleware = expressPayments(payments);
let koaMiddleware = koaPayments(payments, { prefix: '/pay' });

/** What a bare route does: one verify with a cached KeyObject over the V1 string. */
function bareVerify(fields: Record<string, string>): boolean {
  return (
    typeof fields.sign === 'string' &&
    verify('sha256', Buffer.from(v1String(fields), 'utf8'), alipayPublic, Buffer.from(fields.sign, 'base64'))
  );
}

const sdk = new AlipaySdk({
  appId: APP_ID,
  privateKey: config.appPrivatePem,
  alipayPublicKey: config.alipayPublicPem,
  keyType: 'PKCS8',
});

function expressApp(kind: 'plain' | 'verify' | 'paymount' | 'alipay-sdk'): express.Express {
  const app = express();
  app.use((_req, _res, next) => {
    counters.requests++;
    next();
  });
  if (kind === 'paymount') {
    app.use('/pay', (req, res, next) => expressMiddleware(req as never, res, next));
    return app;
  }
  app.use(express.urlencoded({ extended: false }));
  app.post(NOTIFY_PATH, (req, res) => {
    const fields = req.body as Record<string, string>;
    const ok = kind === 'plain' ? true : kind === 'verify' ? bareVerify(fields) : sdk.checkNotifySignV2(fields);
    res
      .status(ok ? 200 : 400)
      .type('text/plain')
      .send(ok ? 'success' : 'fail');
  });
  return app;
}

function koaApp(kind: 'plain' | 'verify' | 'paymount'): Koa {
  const app = new Koa();
  app.use(async (_ctx, next) => {
    counters.requests++;
    await next();
  });
  if (kind === 'paymount') {
    app.use((ctx, next) => koaMiddleware(ctx as never, next));
    return app;
  }
  const router = new Router();
  router.post(NOTIFY_PATH, (ctx) => {
    const ok = kind === 'plain' ? true : bareVerify(ctx.request.body as Record<string, string>);
    ctx.status = ok ? 200 : 400;
    ctx.type = 'text/plain';
    ctx.body = ok ? 'success' : 'fail';
  });
  app.use(bodyParser({ enableTypes: ['form'] }));
  app.use(router.routes());
  return app;
}

function build(variant: Variant): { listen(port: number, host: string): Server } {
  switch (variant) {
    case 'express-plain':
      return expressApp('plain');
    case 'express-verify':
      return expressApp('verify');
    case 'express-paymount':
    case 'express-paymount-distinct':
      return expressApp('paymount');
    case 'express-alipay-sdk':
      return expressApp('alipay-sdk');
    case 'koa-plain':
      return koaApp('plain');
    case 'koa-verify':
      return koaApp('verify');
    case 'koa-paymount':
    case 'koa-paymount-distinct':
      return koaApp('paymount');
  }
}

async function main(): Promise<void> {
  const ports: Partial<Record<Variant, number>> = {};
  for (const variant of config.variants) {
    const server = build(variant).listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', resolve));
    ports[variant] = (server.address() as AddressInfo).port;
  }
  const send = (reply: ServerReply) => process.send!(reply);
  let started = process.cpuUsage();
  let base = { ...counters };
  process.on('message', (message: ServerRequest) => {
    switch (message.cmd) {
      case 'reset':
        // A new router with an empty store: every pooled notify is new again.
        payments = newPayments();
        expressMiddleware = expressPayments(payments);
        koaMiddleware = koaPayments(payments, { prefix: '/pay' });
        send({ cmd: 'reset' });
        break;
      case 'begin':
        started = process.cpuUsage();
        base = { ...counters };
        send({ cmd: 'begin' });
        break;
      case 'end': {
        const cpu = process.cpuUsage(started);
        send({
          cmd: 'end',
          cpuUs: cpu.user + cpu.system,
          requests: counters.requests - base.requests,
          paid: counters.paid - base.paid,
        });
        break;
      }
      case 'exit':
        process.exit(0);
    }
  });
  send({ cmd: 'ready', ports });
}

void main();
