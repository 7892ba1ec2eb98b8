import { request, Agent, type IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createPayments } from '../src/index.js';
import { fixtureAlipay } from './helpers/alipay-notify.js';
import { createShop, startApp, type Framework, type RunningApp } from './helpers/shop.js';

/**
 * What a router does to the connection it answers on. An early answer (413, 408) leaves part of
 * the body unread; on a kept-alive connection the next request would read that rest as its own
 * start and stall. paymount closes such a connection; a slow body times out.
 */

const running: RunningApp[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((app) => app.close()));
});

async function app(framework: Framework) {
  const host = await startApp(framework);
  running.push(host);
  const shop = createShop();
  const payments = createPayments({
    publicUrl: host.publicUrl,
    providers: { alipay: fixtureAlipay() },
    ...shop.hooks,
    bodyTimeoutMs: 400,
    logger: false,
  });
  host.use(payments);
  return host;
}

interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  socket: unknown;
}

/** One request on `agent`, writing `body` in `chunks` (a pause between them when `stallMs` is set). */
function send(url: string, agent: Agent, body: Buffer, options: { stallAfter?: number } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': body.length },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, socket: req.socket }));
      },
    );
    req.on('error', reject);
    if (options.stallAfter === undefined) req.end(body);
    else req.write(body.subarray(0, options.stallAfter)); // and never the rest
  });
}

describe.each(['express', 'koa'] as const)('%s: the connection after an early answer', (framework) => {
  it('a 413 closes its connection, so the next request is answered on a fresh one', async () => {
    const host = await app(framework);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const big = await send(`${host.publicUrl}/notify/alipay`, agent, Buffer.alloc(70 * 1024, 'a'));
      expect(big.status).toBe(413);
      expect(big.headers.connection).toBe('close');
      const next = await send(`${host.publicUrl}/notify/alipay`, agent, Buffer.from('a=1'));
      expect(next.status).toBe(400);
      expect(next.socket).not.toBe(big.socket);
    } finally {
      agent.destroy();
    }
  });

  it('a complete body keeps its connection alive', async () => {
    const host = await app(framework);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await send(`${host.publicUrl}/notify/alipay`, agent, Buffer.from('a=1'));
      const second = await send(`${host.publicUrl}/notify/alipay`, agent, Buffer.from('a=1'));
      expect(first.headers.connection).not.toBe('close');
      expect(second.socket).toBe(first.socket);
    } finally {
      agent.destroy();
    }
  });

  it('a body that stops arriving gets 408 after bodyTimeoutMs, and its connection closes', async () => {
    const host = await app(framework);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const slow = await send(`${host.publicUrl}/notify/alipay`, agent, Buffer.alloc(100, 'a'), { stallAfter: 10 });
      expect(slow.status).toBe(408);
      expect(slow.headers.connection).toBe('close');
    } finally {
      agent.destroy();
    }
  });
});
