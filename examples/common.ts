import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { alipay, createPayments, unionpay, wechatpay, type Order, type Payments } from 'paymount';
import { startSandbox, type Sandbox } from 'paymount/sandbox';

/**
 * What every framework example shares: the sandbox, a server listening before paymount is
 * configured (its URL goes into `publicUrl`), an order book, and two small pages. Each example
 * file holds only what is specific to its framework: how paymount is mounted.
 */

/** `port` on 127.0.0.1 (0: any free one); `sandbox`: share a running one instead of starting one. */
export interface ExampleOptions {
  port?: number;
  sandbox?: Sandbox;
}

export interface ExampleShop {
  url: string;
  server: Server;
  sandbox: Sandbox;
  payments: Payments;
  /** Creates an order and answers the page that links to its checkout with each provider. */
  newOrderPage(prefix: string): string;
  /** The order's page (its status), or undefined for an unknown order. */
  orderPage(id: string): string | undefined;
  close(): Promise<void>;
}

const page = (body: string) => `<!doctype html><meta name="viewport" content="width=device-width">${body}`;

export async function exampleShop({ port = 3000, sandbox: shared }: ExampleOptions = {}): Promise<ExampleShop> {
  const sandbox = shared ?? (await startSandbox());
  // Listen first: the public URL (with its port) goes into the payments configuration.
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const orders = new Map<string, Order>();
  const payments = createPayments({
    publicUrl: `${url}/pay`,
    providers: {
      alipay: alipay(sandbox.alipay),
      wechatpay: wechatpay(sandbox.wechatpay),
      unionpay: unionpay(sandbox.unionpay),
    },
    // These shops have no login: a buyer is whoever holds the signed checkout link of their order.
    linkSecret: randomBytes(32),
    getOrder: (id) => orders.get(id) ?? null,
    onPaid(payment) {
      // Make this idempotent on payment.idempotencyKey in a real shop (a unique index, say).
      const order = orders.get(payment.orderId);
      if (order) order.status = 'paid';
    },
    resultUrl: (order) => `/orders/${order.id}`,
  });

  return {
    url,
    server,
    sandbox,
    payments,
    newOrderPage(prefix) {
      const order: Order = {
        id: `${prefix}${Date.now()}${orders.size}`,
        amount: 1234,
        subject: 'Example order',
        status: 'pending',
      };
      orders.set(order.id, order);
      const links = ['alipay', 'wechatpay', 'unionpay'].map(
        (p) => `<li><a id="pay-${p}" href="${payments.checkoutLink(order.id, p)}">Pay ¥12.34 with ${p}</a></li>`,
      );
      return page(`<h1>Order ${order.id}</h1><ul>${links.join('')}</ul>`);
    },
    orderPage(id) {
      const order = orders.get(id);
      return (
        order && page(`<h1>Order ${order.id}: <span id="status">${order.status}</span></h1><a href="/">New order</a>`)
      );
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (!shared) await sandbox.close();
    },
  };
}
