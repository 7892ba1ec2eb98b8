import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import {
  alipay,
  createPayments,
  unionpay,
  wechatpay,
  type Order,
  type PaidEvent,
  type PaymentStore,
  type Payments,
} from 'paymount';
import { redisStore } from 'paymount/redis';
import { startSandbox, type Sandbox } from 'paymount/sandbox';
import { memoryOrderBook, redisOrderBook, type OrderBook } from './orders.js';

/**
 * What every framework example shares: the sandbox, a server listening before paymount is
 * configured (its URL goes into `publicUrl`), an order book, and two small pages. Each example
 * file holds only what is specific to its framework: how paymount is mounted.
 *
 * One instance by default: its own sandbox, memory store, order book and link secret. Several
 * instances (behind a load balancer) share one Redis, one public URL, one link secret and one
 * sandbox: see {@link ExampleOptions} and `env.ts`.
 */

/** The provider options an example pays with, and the sandbox's URL. */
export interface ExampleSandbox {
  url: string;
  alipay: Parameters<typeof alipay>[0];
  wechatpay: Parameters<typeof wechatpay>[0];
  unionpay: Parameters<typeof unionpay>[0];
}

export interface ExampleOptions {
  /** The port on 127.0.0.1 (0: any free one). Default 3000. */
  port?: number;
  /** A sandbox to pay against (one started in this process, or one running elsewhere); default: start one. */
  sandbox?: Sandbox | ExampleSandbox;
  /** Redis for paymount's store and the order book, shared by every instance; default: this process's memory. */
  redisUrl?: string;
  /** The origin buyers and providers reach the shop at (a load balancer's); default: this server's URL. */
  publicUrl?: string;
  /** Signs checkout links; every instance needs the same one. Default: random, this process only. */
  linkSecret?: string;
  /** Called after each payment is recorded (once per transaction, across every instance on one Redis). */
  onPaid?: (payment: PaidEvent) => void;
}

export interface ExampleShop {
  url: string;
  server: Server;
  sandbox: Sandbox | ExampleSandbox;
  payments: Payments;
  /** Creates an order and answers the page that links to its checkout with each provider. */
  newOrderPage(prefix: string): Promise<string>;
  /** The order's page (its status), or undefined for an unknown order. */
  orderPage(id: string): Promise<string | undefined>;
  close(): Promise<void>;
}

const page = (body: string) => `<!doctype html><meta name="viewport" content="width=device-width">${body}`;

/** Keys of the examples in a shared Redis: the order book's and paymount's own (docs/state.md#key-layout). */
const REDIS_PREFIX = 'paymount-example';

/** Starts the shared part of an example: listening, paymount configured, pages ready to be mounted. */
export async function exampleShop(options: ExampleOptions = {}): Promise<ExampleShop> {
  const { port = 3000, sandbox: given } = options;
  const sandbox = given ?? (await startSandbox());
  // Listen first: the public URL (with its port) goes into the payments configuration.
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const redis = options.redisUrl ? new Redis(options.redisUrl) : undefined;
  const orders: OrderBook = redis ? redisOrderBook(redis, REDIS_PREFIX) : memoryOrderBook();
  // Without a store paymount keeps its records in this process (memoryStore): one instance only.
  const store: PaymentStore | undefined = redis && redisStore({ client: redis, prefix: REDIS_PREFIX });
  const payments = createPayments({
    publicUrl: `${options.publicUrl ?? url}/pay`,
    providers: {
      alipay: alipay(sandbox.alipay),
      wechatpay: wechatpay(sandbox.wechatpay),
      unionpay: unionpay(sandbox.unionpay),
    },
    store,
    // These shops have no login: a buyer is whoever holds the signed checkout link of their order.
    linkSecret: options.linkSecret ?? randomBytes(32),
    getOrder: (id) => orders.get(id),
    async onPaid(payment) {
      // Make this idempotent on payment.idempotencyKey in a real shop (a unique index, say).
      await orders.markPaid(payment.orderId);
      options.onPaid?.(payment);
    },
    resultUrl: (order) => `/orders/${order.id}`,
  });

  return {
    url,
    server,
    sandbox,
    payments,
    async newOrderPage(prefix) {
      const order: Order = {
        id: `${prefix}${Date.now()}${await orders.next()}`,
        amount: 1234,
        subject: 'Example order',
        status: 'pending',
      };
      await orders.add(order);
      const links = ['alipay', 'wechatpay', 'unionpay'].map(
        (p) => `<li><a id="pay-${p}" href="${payments.checkoutLink(order.id, p)}">Pay ¥12.34 with ${p}</a></li>`,
      );
      return page(`<h1>Order ${order.id}</h1><ul>${links.join('')}</ul>`);
    },
    async orderPage(id) {
      const order = await orders.get(id);
      return (
        order && page(`<h1>Order ${order.id}: <span id="status">${order.status}</span></h1><a href="/">New order</a>`)
      );
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await redis?.quit();
      if (!given && 'close' in sandbox) await sandbox.close();
    },
  };
}
