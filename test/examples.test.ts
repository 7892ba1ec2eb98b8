import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import { openCashier, pressAndComeBack } from './conformance/flows.js';
import { start as express5 } from '../examples/express/app.js';
import { start as express4 } from '../examples/express4/app.js';
import { start as koa3 } from '../examples/koa/app.js';
import { start as koa2 } from '../examples/koa2/app.js';
import { start as fetchExample } from '../examples/fetch/app.js';

/**
 * The examples users copy, started the way `main.ts` starts them: each page's checkout links lead
 * to the sandbox cashier, and a WeChat Pay H5 payment comes back to the example's order page, paid.
 * They share one sandbox (starting one generates its keys and certificates, seconds of CPU); `main.ts`
 * starts each with a sandbox of its own.
 */
let shared: Sandbox;
beforeAll(async () => {
  shared = await startSandbox({ timeScale: 0.0005 });
});
afterAll(async () => {
  await shared?.close();
});

const examples = [
  { name: 'express', start: express5 },
  { name: 'express4', start: express4 },
  { name: 'koa', start: koa3 },
  { name: 'koa2', start: koa2 },
  { name: 'fetch', start: fetchExample },
] as const;

describe.each(examples)('examples/$name', (example) => {
  let app: Awaited<ReturnType<typeof express5>>;
  beforeAll(async () => {
    app = await example.start({ port: 0, sandbox: shared });
  });
  afterAll(async () => {
    await app?.close();
  });

  async function links(): Promise<Map<string, string>> {
    const res = await fetch(app.url);
    expect(res.status).toBe(200);
    const html = await res.text();
    const found = new Map(
      [...html.matchAll(/id="pay-(\w+)" href="([^"]+)"/g)].map((m) => [
        m[1]!,
        new URL(m[2]!.replace(/&amp;/g, '&'), app.url).href,
      ]),
    );
    expect([...found.keys()].sort()).toEqual(['alipay', 'unionpay', 'wechatpay']);
    return found;
  }

  it('starts on 127.0.0.1 with its own URL', () => {
    expect(app.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(app.sandbox).toBe(shared);
  });

  it('each checkout link redirects to (Alipay, WeChat Pay) or auto-submits to (UnionPay) the sandbox cashier', async () => {
    for (const [provider, link] of await links()) {
      const res = await fetch(link, { redirect: 'manual' });
      if (provider === 'unionpay') {
        expect(res.status).toBe(200);
        expect(await res.text()).toContain(`action="${app.sandbox.unionpay.gateway}/gateway/api/frontTransReq.do"`);
      } else {
        expect(res.status).toBe(302);
        expect(res.headers.get('location')!.startsWith(`${app.sandbox.url}/${provider}/`)).toBe(true);
        await res.arrayBuffer();
      }
      const cashier = await openCashier(link);
      expect(cashier.action.startsWith(app.sandbox.url)).toBe(true);
    }
  });

  it('a WeChat Pay H5 payment comes back to the order page, paid', async () => {
    const link = (await links()).get('wechatpay')!;
    const orderId = new URL(link).searchParams.get('orderId')!;
    const { back } = await pressAndComeBack(await openCashier(link), 'pay');
    expect(back.status).toBe(302);
    const landing = new URL(back.headers.get('location')!, app.url);
    expect(landing.href).toBe(`${app.url}/orders/${orderId}`);
    expect(await (await fetch(landing)).text()).toContain('<span id="status">paid</span>');
  });
});
