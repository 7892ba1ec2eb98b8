import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import { AlipaySdk } from 'alipay-sdk';
import express from 'express';
import type { Redis } from 'ioredis';
import Koa from 'koa';
import { expressPayments } from '../../adapters/express.js';
import { koaPayments } from '../../adapters/koa.js';
import { createPayments, type Payments } from '../../src/core/payments.js';
import type { PaymentStore } from '../../src/spi/store.js';
import type { Order } from '../../src/spi/types.js';
import { alipay } from '../../src/providers/alipay/index.js';
import { redisStore } from '../../src/store/redis.js';
import { AMOUNT_FEN, APP_ID, NOTIFY_PATH, SELLER_ID, v1String } from '../alipay-input.js';
import { DISTINCT, poolOrderId, type ServerConfig, type Variant } from './protocol.js';

/**
 * The apps behind each variant: the same framework with its usual body parser and a bare route
 * (no verify, one verify with a cached KeyObject, or alipay-sdk), or paymount's router mounted
 * with its adapter (no host body parser in front), over a real `createPayments` with an in-memory
 * order book and an idempotent no-op `onPaid`, on the memory store or (`ON_REDIS` variants) on
 * `redisStore` over the ioredis client given.
 */

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface VariantApps {
  handlers: Map<Variant, Handler>;
  /** A new router with an empty store: every pooled notify is new again. */
  reset(): void;
}

export function variantApps(
  config: ServerConfig,
  paid: (variant: Variant) => void,
  redis: Redis | undefined,
): VariantApps {
  const alipayPublic: KeyObject = createPublicKey(config.alipayPublicPem);
  const orders = new Map<string, Order>();
  const poolOf = new Map<string, Variant>();
  orders.set(config.orderId, { id: config.orderId, amount: AMOUNT_FEN, subject: 'bench order' });
  for (const variant of DISTINCT.filter((v) => config.variants.includes(v))) {
    for (let i = 0; i < config.poolSize; i++) {
      const id = poolOrderId(variant, i);
      orders.set(id, { id, amount: AMOUNT_FEN, subject: 'bench order' });
      poolOf.set(id, variant);
    }
  }
  // The host's own idempotency: onPaid does nothing for a key it has seen.
  const fulfilled = new Set<string>();
  const newPayments = (store?: PaymentStore): Payments =>
    createPayments({
      store,
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
      // Only notifies are sent here; who may start a checkout is not on their path.
      publicCheckout: true,
      onPaid: (event) => {
        if (fulfilled.has(event.idempotencyKey)) return;
        fulfilled.add(event.idempotencyKey);
        const variant = poolOf.get(event.orderId);
        if (variant) paid(variant);
      },
      logger: false,
    });
  // A reset starts the Redis store under a new prefix: an empty store, with nothing to delete (a FLUSHDB's
  // work in redis-server would be charged to the next Redis case's requests).
  let round = 0;
  const newRedisPayments = (): Payments | undefined =>
    redis && newPayments(redisStore({ client: redis, prefix: `bench-${++round}`, logger: false }));
  // The mounted middlewares are rebuilt on reset; the apps call through these so a reset reaches them.
  let payments = newPayments();
  let expressMiddleware = expressPayments(payments);
  let koaMiddleware = koaPayments(payments, { prefix: '/pay' });
  let redisPayments = newRedisPayments();
  let expressRedisMiddleware = redisPayments && expressPayments(redisPayments);
  let koaRedisMiddleware = redisPayments && koaPayments(redisPayments, { prefix: '/pay' });

  const bareVerify = (fields: Record<string, string> | undefined): boolean =>
    typeof fields?.sign === 'string' &&
    verify('sha256', Buffer.from(v1String(fields), 'utf8'), alipayPublic, Buffer.from(fields.sign, 'base64'));
  const sdk = new AlipaySdk({
    appId: APP_ID,
    privateKey: config.appPrivatePem,
    alipayPublicKey: config.alipayPublicPem,
    keyType: 'PKCS8',
  });

  function expressApp(kind: 'plain' | 'verify' | 'paymount' | 'paymount-redis' | 'alipay-sdk'): Handler {
    const app = express();
    if (kind === 'paymount') {
      app.use('/pay', (req, res, next) => expressMiddleware(req as never, res, next));
      return app;
    }
    if (kind === 'paymount-redis') {
      app.use('/pay', (req, res, next) => expressRedisMiddleware!(req as never, res, next));
      return app;
    }
    app.use(express.urlencoded({ extended: false }));
    app.post(NOTIFY_PATH, (req, res) => {
      const fields = req.body as Record<string, string> | undefined;
      const ok = kind === 'plain' ? true : kind === 'verify' ? bareVerify(fields) : sdk.checkNotifySignV2(fields ?? {});
      res
        .status(ok ? 200 : 400)
        .type('text/plain')
        .send(ok ? 'success' : 'fail');
    });
    return app;
  }

  /** A Koa app as a `node:http` handler (Koa handles its own errors; the promise is not needed). */
  const handler = (app: Koa): Handler => {
    const callback = app.callback();
    return (req, res) => void callback(req, res);
  };

  function koaApp(kind: 'plain' | 'verify' | 'paymount' | 'paymount-redis'): Handler {
    const app = new Koa();
    if (kind === 'paymount') {
      // Koa types a middleware's result as `any`; paymount's is a promise.
      app.use((ctx, next) => koaMiddleware(ctx, next) as Promise<void>);
      return handler(app);
    }
    if (kind === 'paymount-redis') {
      app.use((ctx, next) => koaRedisMiddleware!(ctx, next) as Promise<void>);
      return handler(app);
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
    return handler(app);
  }

  const byVariant: Record<Variant, () => Handler> = {
    'express-plain': () => expressApp('plain'),
    'express-verify': () => expressApp('verify'),
    'express-paymount': () => expressApp('paymount'),
    'express-paymount-distinct': () => expressApp('paymount'),
    'express-paymount-redis': () => expressApp('paymount-redis'),
    'express-alipay-sdk': () => expressApp('alipay-sdk'),
    'koa-plain': () => koaApp('plain'),
    'koa-verify': () => koaApp('verify'),
    'koa-paymount': () => koaApp('paymount'),
    'koa-paymount-distinct': () => koaApp('paymount'),
    'koa-paymount-redis': () => koaApp('paymount-redis'),
  };
  return {
    handlers: new Map(config.variants.map((v) => [v, byVariant[v]()])),
    reset() {
      fulfilled.clear();
      payments = newPayments();
      expressMiddleware = expressPayments(payments);
      koaMiddleware = koaPayments(payments, { prefix: '/pay' });
      redisPayments = newRedisPayments();
      expressRedisMiddleware = redisPayments && expressPayments(redisPayments);
      koaRedisMiddleware = redisPayments && koaPayments(redisPayments, { prefix: '/pay' });
    },
  };
}
