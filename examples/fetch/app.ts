import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { fetchPayments } from 'paymount/fetch';
import { exampleShop, type ExampleOptions } from '../common.js';

const html = (body: string | undefined) =>
  new Response(body ?? 'not found', {
    status: body ? 200 : 404,
    headers: { 'content-type': 'text/html; charset=utf-8' },
  });

/** paymount's Web-standard handler (Hono, Bun, Deno, Next.js…) served here by a tiny node:http bridge. */
export async function start(options?: ExampleOptions) {
  const shop = await exampleShop(options);
  const ips = new WeakMap<Request, string>(); // a Web Request has no socket; WeChat H5 needs the payer's IP
  const handler = fetchPayments(shop.payments, {
    prefix: '/pay',
    clientIp: (request) => ips.get(request),
    async fallback(request) {
      const path = new URL(request.url).pathname;
      return html(
        path === '/'
          ? await shop.newOrderPage('FE')
          : await shop.orderPage(decodeURIComponent(path.replace(/^\/orders\//, ''))),
      );
    },
  });

  // The bridge: IncomingMessage → Request, Response → ServerResponse.
  shop.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers))
      for (const v of [value ?? []].flat()) headers.append(name, v);
    const body = req.method === 'GET' || req.method === 'HEAD' ? undefined : (Readable.toWeb(req) as ReadableStream);
    const request = new Request(new URL(req.url ?? '/', shop.url), {
      method: req.method,
      headers,
      body,
      duplex: 'half',
    } as RequestInit);
    ips.set(request, req.socket.remoteAddress ?? '');
    handler(request)
      .then(async (response) => {
        response.headers.forEach((value, name) => res.setHeader(name, value));
        res.writeHead(response.status).end(Buffer.from(await response.arrayBuffer()));
      })
      .catch(() => void res.writeHead(500).end('internal error'));
  });
  return shop;
}
