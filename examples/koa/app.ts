import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import { alipay, createPayments, unionpay, wechatpay, type Order } from '../../src/index.js';
import { koaPayments } from '../../adapters/koa.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';

/** `port` on 127.0.0.1 (0: any free one); `sandbox`: share a running one instead of starting one. */
export interface ExampleOptions {
  port?: number;
  sandbox?: Sandbox;
}

/** paymount in a Koa 3 app with @koa/router and a body parser, paying against the local sandbox. */
export async function start({ port = 3000, sandbox: shared }: ExampleOptions = {}) {
  const sandbox = shared ?? (await startSandbox());
  // Listen first: the public URL (with its port) goes into the payments configuration.
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const orders = new Map<string, Order>();
  const payments = createPayments({
    publicUrl: `${url}/pay`,
    providers: { alipay: alipay(sandbox.alipay), wechatpay: wechatpay(sandbox.wechatpay), unionpay: unionpay(sandbox.unionpay) },
    getOrder: (id) => orders.get(id) ?? null,
    onPaid(payment) {
      // Make this idempotent on payment.idempotencyKey in a real shop.
      const order = orders.get(payment.orderId);
      if (order) order.status = 'paid';
    },
    resultUrl: (order) => `/orders/${order.id}`,
  });

  const router = new Router();
  router.get('/', (ctx) => {
    const order: Order = { id: `KO${Date.now()}${orders.size}`, amount: 1234, subject: 'Example order', status: 'pending' };
    orders.set(order.id, order);
    const links = ['alipay', 'wechatpay', 'unionpay'].map((p) => `<li><a id="pay-${p}" href="/pay/checkout/${p}?orderId=${order.id}">Pay ¥12.34 with ${p}</a></li>`);
    ctx.type = 'html';
    ctx.body = `<!doctype html><meta name="viewport" content="width=device-width"><h1>Order ${order.id}</h1><ul>${links.join('')}</ul>`;
  });
  router.get('/orders/:id', (ctx) => {
    const order = orders.get(ctx.params.id!);
    if (!order) return void ctx.throw(404, 'no such order');
    ctx.type = 'html';
    ctx.body = `<!doctype html><h1>Order ${order.id}: <span id="status">${order.status}</span></h1><a href="/">New order</a>`;
  });

  const app = new Koa();
  app.use(bodyParser()); // a parser before paymount is fine in Koa: it keeps ctx.request.rawBody
  app.use(koaPayments(payments, { prefix: '/pay' }));
  app.use(router.routes()).use(router.allowedMethods());
  server.on('request', app.callback());

  return {
    url,
    sandbox,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (!shared) await sandbox.close();
    },
  };
}
