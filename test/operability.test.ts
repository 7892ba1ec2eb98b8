import { afterEach, describe, expect, it } from 'vitest';
import express from 'express';
import type { AddressInfo } from 'node:net';
import { createPayments, type PaymentsOptions } from '../src/index.js';
import { koaPayments } from '../adapters/koa.js';
import { fetchPayments } from '../adapters/fetch.js';
import { expressPayments } from '../adapters/express.js';
import { fixtureAlipay } from './helpers/alipay-notify.js';
import { expectConfigError } from './helpers/config-error.js';
import { createShop } from './helpers/shop.js';

/** What an operator sees: mistakes named at startup or on the first request, and a log that tells the story. */

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

interface Line {
  level: string;
  message: string;
  detail: Record<string, unknown>;
}

function options(patch: Partial<PaymentsOptions> = {}) {
  const shop = createShop();
  const lines: Line[] = [];
  const at = (level: string) => (message: string, detail?: unknown) =>
    void lines.push({ level, message, detail: (detail ?? {}) as Record<string, unknown> });
  const config: PaymentsOptions = {
    publicUrl: 'https://shop.example.com/pay',
    providers: { alipay: fixtureAlipay() },
    ...shop.hooks,
    logger: { info: at('info'), warn: at('warn'), error: at('error') },
    ...patch,
  };
  return { shop, lines, config };
}

describe('adapter prefixes agree with publicUrl', () => {
  it('Koa and fetch mount at the path of publicUrl when no prefix is given', () => {
    const { config } = options();
    const payments = createPayments(config);
    expect(payments.mountPath).toBe('/pay');
    expect(() => koaPayments(payments)).not.toThrow();
    expect(() => fetchPayments(payments)).not.toThrow();
  });

  it('refuse a prefix that contradicts publicUrl, naming both, unless told a proxy rewrites paths', () => {
    const payments = createPayments(options().config);
    const koa = expectConfigError(() => koaPayments(payments, { prefix: '/api/pay' }), 'koaPayments.prefix');
    expect(koa.message).toMatch(/"\/api\/pay" contradicts publicUrl, whose path is "\/pay"/);
    expectConfigError(() => fetchPayments(payments, { prefix: '/' }), 'fetchPayments.prefix', /"\/"/);
    expect(() => koaPayments(payments, { prefix: '/api/pay', checkPrefix: false })).not.toThrow();
  });

  it('routes a request under the default prefix, and leaves other paths to the host', async () => {
    const payments = createPayments(options().config);
    const handler = fetchPayments(payments, { fallback: () => new Response('host', { status: 418 }) });
    const link = await handler(new Request('https://shop.example.com/pay/checkout/alipay?orderId=NOPE'));
    expect(link.status).toBe(404);
    expect((await handler(new Request('https://shop.example.com/checkout/alipay?orderId=NOPE'))).status).toBe(418);
  });
});

describe('the first request is compared with publicUrl', () => {
  /** An Express app with the router at `mount`; `publicUrl` is made from the port it listens on. */
  async function expressAt(mount: string, publicUrl: (origin: string) => string) {
    const app = express();
    let handler: ReturnType<typeof expressPayments> | undefined;
    app.use(mount, (req, res, next) => (handler ? handler(req, res, next) : next()));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    closers.push(() => new Promise((resolve) => server.close(() => resolve())));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const { config, lines } = options({ publicUrl: publicUrl(origin) });
    handler = expressPayments(createPayments<express.Request>(config));
    return { origin, lines };
  }

  it('logs one error naming both paths when Express mounts the router elsewhere', async () => {
    const { origin, lines } = await expressAt('/payments', (o) => `${o}/pay`);
    await fetch(`${origin}/payments/result?orderId=A&provider=alipay`);
    await fetch(`${origin}/payments/result?orderId=A&provider=alipay`);
    const errors = lines.filter((l) => l.level === 'error' && /mounted at/.test(l.message));
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toMatch(/mounted at "\/payments" but publicUrl .* says "\/pay"/);
  });

  it('warns once when the request comes for another host than publicUrl (a wrong port)', async () => {
    const { origin, lines } = await expressAt('/pay', () => 'http://127.0.0.1:1/pay');
    await fetch(`${origin}/pay/result?orderId=A&provider=alipay`);
    expect(lines.filter((l) => /mounted at/.test(l.message))).toHaveLength(0);
    expect(lines.filter((l) => l.level === 'warn' && /publicUrl is on "127\.0\.0\.1:1"/.test(l.message))).toHaveLength(
      1,
    );
  });

  it('says nothing when the mount and host agree', async () => {
    const { origin, lines } = await expressAt('/pay', (o) => `${o}/pay`);
    await fetch(`${origin}/pay/result?orderId=A&provider=alipay`);
    expect(lines.filter((l) => /mounted at|publicUrl is on/.test(l.message))).toHaveLength(0);
  });
});

describe('logging', () => {
  it('writes info lines with the order, provider, trade number and request id, and echoes X-Request-Id', async () => {
    const { config, lines, shop } = options({ publicCheckout: true });
    const payments = createPayments(config);
    const handler = fetchPayments(payments);
    const order = shop.addOrder({ amount: 100 });
    const res = await handler(
      new Request(`https://shop.example.com/pay/checkout/alipay?orderId=${order.id}`, {
        headers: { 'x-request-id': 'req-42' },
      }),
    );
    expect(res.status).toBe(302);
    expect(res.headers.get('x-request-id')).toBe('req-42');
    expect(lines).toContainEqual({
      level: 'info',
      message: 'checkout created',
      detail: { orderId: order.id, provider: 'alipay', tradeNo: order.id, channel: 'wap', requestId: 'req-42' },
    });
    // A request id that is not a sane token is replaced, not logged.
    const other = await handler(
      new Request(`https://shop.example.com/pay/result?orderId=X`, { headers: { 'x-request-id': 'a b;c' } }),
    );
    expect(other.headers.get('x-request-id')).toMatch(/^[0-9a-f]{16}$/);
  });

  it('speaks to a pino-style logger object first, and to a console-style one message first', () => {
    const pino: unknown[][] = [];
    const pinoLike = {
      level: 'info',
      child: () => pinoLike,
      info: (...args: unknown[]) => void pino.push(args),
      warn: (...args: unknown[]) => void pino.push(args),
      error: (...args: unknown[]) => void pino.push(args),
    };
    const console: unknown[][] = [];
    const consoleLike = {
      info: (...args: unknown[]) => void console.push(args),
      warn: (...args: unknown[]) => void console.push(args),
      error: (...args: unknown[]) => void console.push(args),
    };
    const both = [
      createPayments({ ...options().config, logger: pinoLike }),
      createPayments({ ...options().config, logger: consoleLike }),
    ];
    return Promise.all(both.map((p) => p.handle(probe()))).then(() => {
      const pinoLine = pino.find((args) => JSON.stringify(args).includes('mounted at'));
      const consoleLine = console.find((args) => JSON.stringify(args).includes('mounted at'));
      expect(typeof pinoLine?.[0]).toBe('object');
      expect(pinoLine?.[1]).toMatch(/mounted at/);
      expect(consoleLine?.[0]).toMatch(/mounted at/);
      expect(typeof consoleLine?.[1]).toBe('object');
    });
  });
});

/** A request as an adapter mounted at the wrong path would hand it over. */
function probe() {
  return {
    method: 'GET',
    path: '/result',
    query: new URLSearchParams('orderId=A&provider=alipay'),
    headers: { host: 'shop.example.com' },
    mountPath: '/elsewhere',
  };
}
