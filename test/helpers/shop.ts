import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import express4 from 'express4';
import Koa from 'koa';
import Koa2 from 'koa2';
import { bodyParser } from '@koa/bodyparser';
import type { ClosedEvent, Hooks, MismatchEvent, Order, PaidEvent, Payments, RefundEvent } from '../../src/index.js';
import { expressPayments } from '../../adapters/express.js';
import { koaPayments } from '../../adapters/koa.js';

/** An in-memory shop: orders plus a record of every hook call, for assertions. */
export interface TestShop {
  orders: Map<string, Order>;
  paid: PaidEvent[];
  refunds: RefundEvent[];
  closed: ClosedEvent[];
  mismatches: MismatchEvent[];
  /** Makes the next `n` onPaid calls throw. */
  failOnPaid(n: number): void;
  hooks: Pick<Hooks, 'getOrder' | 'onPaid' | 'onRefunded' | 'onClosed' | 'onMismatch' | 'authorizeCheckout'>;
  addOrder(order: Partial<Order> & { amount: number }): Order;
}

let seq = 0;

export function createShop(): TestShop {
  const orders = new Map<string, Order>();
  const paid: PaidEvent[] = [];
  const refunds: RefundEvent[] = [];
  const closed: ClosedEvent[] = [];
  const mismatches: MismatchEvent[] = [];
  let failures = 0;
  return {
    orders,
    paid,
    refunds,
    closed,
    mismatches,
    failOnPaid(n) {
      failures = n;
    },
    addOrder(partial) {
      const order: Order = {
        id: partial.id ?? `T${Date.now()}${String(++seq).padStart(4, '0')}`,
        subject: 'Test order',
        ...partial,
      };
      orders.set(order.id, order);
      return order;
    },
    hooks: {
      getOrder: (id) => orders.get(id) ?? null,
      // The test shop's buyers may pay any order; who may pay is tested on its own.
      authorizeCheckout: () => true,
      async onPaid(event) {
        if (failures > 0) {
          failures--;
          throw new Error('database unavailable');
        }
        paid.push(event);
        const order = orders.get(event.orderId);
        if (order) order.status = 'paid';
      },
      onRefunded: (event) => void refunds.push(event),
      onClosed: (event) => void closed.push(event),
      onMismatch: (event) => void mismatches.push(event),
    },
  };
}

export type Framework = 'express' | 'express4' | 'koa' | 'koa2';

export interface AppOptions {
  /**
   * Install a body parser before the payments router, as many hosts do. `discard` reads the body
   * and keeps nothing (a parser that consumed the bytes and left no usable result).
   */
  parserFirst?: 'json' | 'urlencoded' | 'both' | 'discard';
  /** Requests whose path starts with this get a 503 from the host before the router (an unreachable notify route). */
  blockPrefix?: string;
  /** Mount path. Default `/pay`. */
  mount?: string;
}

export interface RunningApp {
  /** Origin, e.g. `http://127.0.0.1:51234`. */
  origin: string;
  /** `origin + mount`: give this to `createPayments` as `publicUrl`. */
  publicUrl: string;
  /** Sets the payments router once it exists (it needs `publicUrl`). */
  use(payments: Payments): void;
  server: Server;
  close(): Promise<void>;
}

/**
 * Starts a real Express or Koa app on 127.0.0.1:0 with the payments router mounted at `/pay`
 * (behind optional host body parsers). `use(payments)` attaches the router after `listen`.
 */
export async function startApp(framework: Framework, options: AppOptions = {}): Promise<RunningApp> {
  const mount = options.mount ?? '/pay';
  let payments: Payments | undefined;
  let server: Server;
  if (framework === 'express' || framework === 'express4') {
    const e = (framework === 'express' ? express : express4) as typeof express;
    const app = e();
    if (options.blockPrefix)
      app.use((req, res, next) =>
        req.path.startsWith(options.blockPrefix!) ? void res.status(503).send('maintenance') : next(),
      );
    if (options.parserFirst === 'json' || options.parserFirst === 'both') app.use(e.json());
    if (options.parserFirst === 'urlencoded' || options.parserFirst === 'both')
      app.use(e.urlencoded({ extended: false }));
    if (options.parserFirst === 'discard') app.use((req, _res, next) => void req.resume().on('end', () => next()));
    app.use(mount, (req, res, next) => (payments ? expressPayments(payments)(req, res, next) : next()));
    app.use((_req, res) => void res.status(404).send('host 404'));
    server = app.listen(0, '127.0.0.1');
  } else {
    const K = (framework === 'koa' ? Koa : Koa2) as typeof Koa;
    const app = new K();
    if (options.blockPrefix) {
      app.use(async (ctx, next) => {
        if (!ctx.path.startsWith(options.blockPrefix!)) return next();
        ctx.status = 503;
        ctx.body = 'maintenance';
      });
    }
    if (options.parserFirst === 'discard') {
      app.use(async (ctx, next) => {
        await new Promise((resolve) => ctx.req.resume().on('end', resolve));
        await next();
      });
    } else if (options.parserFirst) {
      const enableTypes =
        options.parserFirst === 'both' ? ['json', 'form'] : options.parserFirst === 'json' ? ['json'] : ['form'];
      app.use(bodyParser({ enableTypes: enableTypes as never }) as never);
    }
    app.use(async (ctx, next) => (payments ? koaPayments(payments, { prefix: mount })(ctx, next) : next()));
    app.use((ctx) => {
      ctx.status = 404;
      ctx.body = 'host 404';
    });
    server = app.listen(0, '127.0.0.1');
  }
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    publicUrl: `${origin}${mount}`,
    server,
    use(p) {
      payments = p;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
