import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { alipay, createPayments, unionpay, wechatpay, type Order } from '../../src/index.js';
import { fetchPayments } from '../../adapters/fetch.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';

/** `port` on 127.0.0.1 (0: any free one); `sandbox`: share a running one instead of starting one. */
export interface ExampleOptions {
  port?: number;
  sandbox?: Sandbox;
}

const html = (body: string, status = 200) => new Response(`<!doctype html><meta name="viewport" content="width=device-width">${body}`, { status, headers: { 'content-type': 'text/html; charset=utf-8' } });

/** paymount's Web-standard handler (Hono, Bun, Deno, Next.js…) served here by a tiny node:http bridge. */
export async function start({ port = 3000, sandbox: shared }: ExampleOptions = {}) {
  const sandbox = shared ?? (await startSandbox());
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
  const ips = new WeakMap<Request, string>(); // a Web Request has no socket; WeChat H5 needs the payer's IP
  const handler = fetchPayments(payments, {
    prefix: '/pay',
    clientIp: (request) => ips.get(request),
    async fallback(request) {
      const path = new URL(request.url).pathname;
      if (path === '/') {
        const order: Order = { id: `FE${Date.now()}${orders.size}`, amount: 1234, subject: 'Example order', status: 'pending' };
        orders.set(order.id, order);
        const links = ['alipay', 'wechatpay', 'unionpay'].map((p) => `<li><a id="pay-${p}" href="/pay/checkout/${p}?orderId=${order.id}">Pay ¥12.34 with ${p}</a></li>`);
        return html(`<h1>Order ${order.id}</h1><ul>${links.join('')}</ul>`);
      }
      const order = orders.get(decodeURIComponent(path.replace(/^\/orders\//, '')));
      return order ? html(`<h1>Order ${order.id}: <span id="status">${order.status}</span></h1><a href="/">New order</a>`) : html('not found', 404);
    },
  });

  // The bridge: IncomingMessage → Request, Response → ServerResponse.
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) for (const v of [value ?? []].flat()) headers.append(name, v);
    const body = req.method === 'GET' || req.method === 'HEAD' ? undefined : (Readable.toWeb(req) as ReadableStream);
    const request = new Request(new URL(req.url ?? '/', url), { method: req.method, headers, body, duplex: 'half' } as RequestInit);
    ips.set(request, req.socket.remoteAddress ?? '');
    handler(request)
      .then(async (response) => {
        response.headers.forEach((value, name) => res.setHeader(name, value));
        res.writeHead(response.status).end(Buffer.from(await response.arrayBuffer()));
      })
      .catch(() => void res.writeHead(500).end('internal error'));
  });

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
