import { expect } from 'vitest';
import type { Sandbox } from '../../src/sandbox/index.js';
import { HOST_HEADER, type Framework } from './hosts.js';
import type { Site, SiteKind } from './world.js';
import {
  checkoutJson,
  expectPaidOnce,
  firstAttempt,
  jsonOf,
  newOrder,
  openCashier,
  payInApp,
  postForm,
  postJson,
  pressAndComeBack,
  sdkPay,
  type ProviderName,
} from './flows.js';

/** One row of the conformance matrix: the same check runs against every framework it applies to. */
export interface Check {
  group: string;
  title: string;
  /** The host app the check runs in. */
  site: SiteKind;
  /** Frameworks the check applies to; default all (others are skipped and shown as "–"). */
  only?: readonly Framework[];
  run(site: Site, sandbox: Sandbox): Promise<void>;
}

const NODE_FRAMEWORKS = ['express4', 'express5', 'koa2', 'koa3'] as const;

/** Sends a request and expects the host's own fallback (paymount passed it on). */
async function fallsThrough(url: string, init: RequestInit = {}): Promise<void> {
  const res = await fetch(url, { redirect: 'manual', ...init });
  const text = await res.text();
  expect(res.headers.get(HOST_HEADER), `${init.method ?? 'GET'} ${url} → ${res.status} ${text.slice(0, 120)}`).toBe(
    'fallthrough',
  );
  expect(res.status).toBe(404);
}

/** Pays through the cashier in the browser way and checks the return lands on the result page, paid. */
async function returnsToResultPage(site: Site, provider: ProviderName, via: 'GET' | 'POST'): Promise<void> {
  const router = site.main;
  const orderId = newOrder(router);
  const link = `${router.publicUrl}/checkout/${provider}?orderId=${orderId}`;
  const cashier = await openCashier(link);
  const { back, via: method, url } = await pressAndComeBack(cashier, 'pay');
  expect(method).toBe(via);
  expect(url.startsWith(`${router.publicUrl}/return/${provider}`), url).toBe(true);
  expect(back.status, await back.clone().text()).toBe(302);
  const location = new URL(back.headers.get('location')!, site.origin);
  expect(location.origin).toBe(site.origin);
  expect(location.pathname).toBe(`${router.mount}/result`);
  const page = await fetch(location, { headers: { 'accept-language': 'en' } });
  expect(page.status).toBe(200);
  expect(await page.text()).toMatch(/Payment received/);
}

async function notifyAcked(
  site: Site,
  sandbox: Sandbox,
  provider: ProviderName,
  status: number,
  body: (text: string) => boolean,
): Promise<void> {
  const { orderId, delivery } = await payInApp(sandbox, site.main, provider);
  const last = expectPaidOnce(site.main, orderId, delivery);
  expect(last.status).toBe(status);
  expect(body(last.body ?? ''), last.body).toBe(true);
}

export const checks: Check[] = [
  // ── checkout ────────────────────────────────────────────────────────────────────────────────
  {
    group: 'checkout',
    title: 'POST /checkout, JSON body, wap → redirect (Alipay, WeChat Pay) / form (UnionPay)',
    site: 'plain',
    async run(site) {
      expect(await checkoutJson(site.main, 'alipay', 'wap')).toMatchObject({ type: 'redirect' });
      expect(await checkoutJson(site.main, 'wechatpay', 'wap')).toMatchObject({ type: 'redirect' });
      expect(await checkoutJson(site.main, 'unionpay', 'wap')).toMatchObject({ type: 'form', method: 'POST' });
    },
  },
  {
    group: 'checkout',
    title: 'POST /checkout, JSON body, app → SDK parameters for every provider',
    site: 'plain',
    async run(site) {
      for (const provider of ['alipay', 'wechatpay', 'unionpay'] as const)
        expect(await checkoutJson(site.main, provider, 'app')).toMatchObject({ type: 'app', provider });
    },
  },
  {
    group: 'checkout',
    title: 'POST /checkout, form body → JSON result',
    site: 'plain',
    async run(site) {
      const res = await postForm(`${site.main.publicUrl}/checkout`, {
        orderId: newOrder(site.main),
        provider: 'alipay',
        channel: 'wap',
      });
      expect(res.status).toBe(200);
      expect(await jsonOf(res)).toMatchObject({ type: 'redirect' });
    },
  },
  {
    group: 'checkout',
    title: 'GET /checkout/:provider link → 302 to the sandbox cashier (Alipay, WeChat Pay)',
    site: 'plain',
    async run(site, sandbox) {
      for (const provider of ['alipay', 'wechatpay'] as const) {
        const res = await fetch(`${site.main.publicUrl}/checkout/${provider}?orderId=${newOrder(site.main)}`, {
          redirect: 'manual',
        });
        expect(res.status).toBe(302);
        expect(
          res.headers.get('location')!.startsWith(`${sandbox.url}/${provider}/`),
          res.headers.get('location')!,
        ).toBe(true);
        expect((await openCashier(res.headers.get('location')!)).buttons).toContain('cancel');
      }
    },
  },
  {
    group: 'checkout',
    title: 'GET /checkout/unionpay link → 200 auto-submitting form to the sandbox gateway',
    site: 'plain',
    async run(site, sandbox) {
      const link = `${site.main.publicUrl}/checkout/unionpay?orderId=${newOrder(site.main)}`;
      const res = await fetch(link);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      const html = await res.text();
      expect(html).toContain(`action="${sandbox.unionpay.gateway}/gateway/api/frontTransReq.do"`);
      expect(html).toContain(`${site.main.publicUrl}/notify/unionpay`);
      expect(await openCashier(link)).toBeTruthy();
    },
  },

  // ── return ──────────────────────────────────────────────────────────────────────────────────
  {
    group: 'return',
    title: 'Alipay cashier → GET /return/alipay → 302 to the result page (paid)',
    site: 'plain',
    run: (site) => returnsToResultPage(site, 'alipay', 'GET'),
  },
  {
    group: 'return',
    title: 'WeChat Pay H5 cashier → GET /return/wechatpay → 302 to the result page (paid)',
    site: 'plain',
    run: (site) => returnsToResultPage(site, 'wechatpay', 'GET'),
  },
  {
    group: 'return',
    title: 'UnionPay cashier → POST /return/unionpay (form) → 302 to the result page (paid)',
    site: 'plain',
    run: (site) => returnsToResultPage(site, 'unionpay', 'POST'),
  },
  {
    group: 'return',
    title: 'WeChat Pay H5 cancel → GET /return/wechatpay → 302 to the result page, order stays unpaid',
    site: 'plain',
    async run(site) {
      const orderId = newOrder(site.main);
      const cashier = await openCashier(`${site.main.publicUrl}/checkout/wechatpay?orderId=${orderId}`);
      const { back, url } = await pressAndComeBack(cashier, 'cancel');
      expect(url.startsWith(`${site.main.publicUrl}/return/wechatpay`), url).toBe(true);
      expect(back.status).toBe(302);
      const english = { headers: { 'accept-language': 'en' } };
      const page = await (await fetch(new URL(back.headers.get('location')!, site.origin), english)).text();
      expect(page).toMatch(/Waiting for the payment to be confirmed/);
      expect(site.main.shop.paid.filter((p) => p.orderId === orderId)).toHaveLength(0);
    },
  },

  // ── notify acks ─────────────────────────────────────────────────────────────────────────────
  {
    group: 'notify',
    title: 'Alipay notify → 200 "success", onPaid once',
    site: 'plain',
    run: (site, sandbox) => notifyAcked(site, sandbox, 'alipay', 200, (t) => t === 'success'),
  },
  {
    group: 'notify',
    title: 'WeChat Pay v3 notify → 204, onPaid once',
    site: 'plain',
    run: (site, sandbox) => notifyAcked(site, sandbox, 'wechatpay', 204, (t) => t === ''),
  },
  {
    group: 'notify',
    title: 'WeChat Pay v2 notify (second router at /v2/pay) → 200 SUCCESS XML, onPaid once',
    site: 'plain',
    async run(site, sandbox) {
      const v2 = site.v2!;
      const { orderId, delivery } = await payInApp(sandbox, v2, 'wechatpay');
      const last = expectPaidOnce(v2, orderId, delivery);
      expect(last.status).toBe(200);
      expect(last.body).toContain('<return_code><![CDATA[SUCCESS]]></return_code>');
      expect(site.main.shop.paid.some((p) => p.orderId === orderId)).toBe(false);
    },
  },
  {
    group: 'notify',
    title: 'UnionPay notify → 200 "ok", onPaid once',
    site: 'plain',
    run: (site, sandbox) => notifyAcked(site, sandbox, 'unionpay', 200, (t) => t === 'ok'),
  },

  // ── host body parsers ───────────────────────────────────────────────────────────────────────
  {
    group: 'parsers',
    title: 'JSON parser before the router: POST /checkout JSON → 200',
    site: 'json',
    only: NODE_FRAMEWORKS,
    async run(site) {
      expect(await checkoutJson(site.main, 'alipay', 'wap')).toMatchObject({ type: 'redirect' });
    },
  },
  {
    group: 'parsers',
    title: 'JSON parser before the router: form-signed notify (Alipay) still acked',
    site: 'json',
    only: NODE_FRAMEWORKS,
    run: (site, sandbox) => notifyAcked(site, sandbox, 'alipay', 200, (t) => t === 'success'),
  },
  {
    group: 'parsers',
    title:
      'JSON parser before the router: WeChat Pay v3 notify → 204 where the raw body is kept (Koa), else 400 FAIL naming express.json()',
    site: 'json',
    only: NODE_FRAMEWORKS,
    async run(site, sandbox) {
      if (site.framework === 'koa2' || site.framework === 'koa3')
        return notifyAcked(site, sandbox, 'wechatpay', 204, (t) => t === '');
      const orderId = newOrder(site.main);
      const result = await checkoutJson(site.main, 'wechatpay', 'app', orderId);
      await sdkPay(sandbox, 'wechatpay', result.params);
      const attempt = await firstAttempt(sandbox, 'wechatpay', orderId);
      expect(attempt.status, attempt.body).toBe(400);
      const body = JSON.parse(attempt.body ?? '{}') as { code?: string; message?: string };
      expect(body.code).toBe('FAIL');
      expect(body.message).toContain('express.json()');
      expect(body.message).toContain('raw body');
      expect(site.main.shop.paid.some((p) => p.orderId === orderId)).toBe(false);
    },
  },
  {
    group: 'parsers',
    title: 'urlencoded parser before the router: POST /checkout form → 200',
    site: 'urlencoded',
    only: NODE_FRAMEWORKS,
    async run(site) {
      const res = await postForm(`${site.main.publicUrl}/checkout`, {
        orderId: newOrder(site.main),
        provider: 'unionpay',
        channel: 'wap',
      });
      expect(res.status).toBe(200);
      expect(await jsonOf(res)).toMatchObject({ type: 'form' });
    },
  },
  {
    group: 'parsers',
    title: 'urlencoded parser before the router: UnionPay notify acked and POST /return → 302',
    site: 'urlencoded',
    only: NODE_FRAMEWORKS,
    async run(site, sandbox) {
      await notifyAcked(site, sandbox, 'unionpay', 200, (t) => t === 'ok');
      await returnsToResultPage(site, 'unionpay', 'POST');
    },
  },
  {
    group: 'parsers',
    title: 'JSON + urlencoded parsers before the router: Alipay and UnionPay notifies acked, checkout JSON → 200',
    site: 'both',
    only: NODE_FRAMEWORKS,
    async run(site, sandbox) {
      await notifyAcked(site, sandbox, 'alipay', 200, (t) => t === 'success');
      await notifyAcked(site, sandbox, 'unionpay', 200, (t) => t === 'ok');
      expect(await checkoutJson(site.main, 'wechatpay', 'app')).toMatchObject({ type: 'app' });
    },
  },
  {
    group: 'parsers',
    title:
      'parsers before the router keeping the raw body (Express verify → req.rawBody; Koa rawBody): WeChat Pay v3 → 204',
    site: 'rawKept',
    only: NODE_FRAMEWORKS,
    run: (site, sandbox) => notifyAcked(site, sandbox, 'wechatpay', 204, (t) => t === ''),
  },
  {
    group: 'parsers',
    title: 'parser after the router: a host POST under the mount path keeps its body',
    site: 'plain',
    async run(site) {
      const res = await postForm(`${site.main.publicUrl}/feedback`, { message: '很好', stars: '5' });
      expect(res.headers.get(HOST_HEADER)).toBe('route');
      expect(await jsonOf(res)).toEqual({ message: '很好', stars: '5' });
    },
  },

  {
    group: 'parsers',
    title: 'host middleware consumed the body and kept nothing: notify → 400 "fail", checkout → 400 naming the cause',
    site: 'discard',
    async run(site) {
      const notify = await postForm(`${site.main.publicUrl}/notify/alipay`, {
        notify_type: 'trade_status_sync',
        out_trade_no: newOrder(site.main),
      });
      expect(notify.status).toBe(400);
      expect(await notify.text()).toBe('fail');
      const res = await postJson(`${site.main.publicUrl}/checkout`, {
        orderId: newOrder(site.main),
        provider: 'alipay',
        channel: 'wap',
      });
      const body = await jsonOf(res);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(JSON.stringify(body)).toMatch(/consumed before paymount|already read before paymount/);
    },
  },

  // ── base paths ──────────────────────────────────────────────────────────────────────────────
  {
    group: 'mount',
    title:
      'nested mount /api/pay (Express Router at /api, Koa and fetch prefix): link → cashier, return_url under /api/pay',
    site: 'nested',
    async run(site) {
      expect(site.main.publicUrl).toBe(`${site.origin}/api/pay`);
      const res = await fetch(`${site.main.publicUrl}/checkout/alipay?orderId=${newOrder(site.main)}`, {
        redirect: 'manual',
      });
      expect(res.status).toBe(302);
      const cashier = new URL(res.headers.get('location')!);
      const signed = cashier.searchParams.get('return_url') ?? '';
      expect(signed).toBe(`${site.origin}/api/pay/return/alipay`);
      await returnsToResultPage(site, 'wechatpay', 'GET');
    },
  },
  {
    group: 'mount',
    title: 'nested mount /api/pay: Alipay and WeChat Pay v3 notifies acked there',
    site: 'nested',
    async run(site, sandbox) {
      await notifyAcked(site, sandbox, 'alipay', 200, (t) => t === 'success');
      await notifyAcked(site, sandbox, 'wechatpay', 204, (t) => t === '');
    },
  },
  {
    group: 'mount',
    title: 'nested mount: host route /api/pay/health answers; /pay/… outside the mount falls through',
    site: 'nested',
    async run(site) {
      const res = await fetch(`${site.origin}/api/pay/health`);
      expect(res.status).toBe(200);
      expect(res.headers.get(HOST_HEADER)).toBe('route');
      await fallsThrough(`${site.origin}/pay/checkout/alipay?orderId=${newOrder(site.main)}`);
    },
  },

  {
    group: 'mount',
    title:
      'mounted at the root (no prefix): link → cashier → return → result page; notify acked; other paths fall through',
    site: 'root',
    async run(site, sandbox) {
      expect(site.main.publicUrl).toBe(site.origin);
      await returnsToResultPage(site, 'alipay', 'GET');
      await notifyAcked(site, sandbox, 'unionpay', 200, (t) => t === 'ok');
      await fallsThrough(`${site.origin}/`);
      const res = await fetch(`${site.origin}/health`);
      expect(res.headers.get(HOST_HEADER)).toBe('route');
    },
  },

  // ── falling through to the host ─────────────────────────────────────────────────────────────
  {
    group: 'fallthrough',
    title: 'HEAD on a paymount path falls through to the host',
    site: 'plain',
    run: (site) =>
      fallsThrough(`${site.main.publicUrl}/checkout/alipay?orderId=${newOrder(site.main)}`, { method: 'HEAD' }),
  },
  {
    group: 'fallthrough',
    title: 'OPTIONS on a paymount path falls through to the host',
    site: 'plain',
    async run(site) {
      await fallsThrough(`${site.main.publicUrl}/checkout`, { method: 'OPTIONS' });
      await fallsThrough(`${site.main.publicUrl}/notify/alipay`, { method: 'OPTIONS' });
    },
  },
  {
    group: 'fallthrough',
    title:
      'unknown routes and methods under the mount fall through (GET /nope, PUT /checkout, GET /checkout, POST /notify)',
    site: 'plain',
    async run(site) {
      const base = site.main.publicUrl;
      await fallsThrough(`${base}/nope`);
      await fallsThrough(`${base}/checkout`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      await fallsThrough(`${base}/checkout`);
      await fallsThrough(`${base}/notify`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' });
      await fallsThrough(`${base}/checkout/alipay/extra`);
    },
  },
  {
    group: 'fallthrough',
    title: 'a path that only starts with the mount (/payments/…) is the host’s',
    site: 'plain',
    run: (site) => fallsThrough(`${site.origin}/payments/checkout/alipay?orderId=${newOrder(site.main)}`),
  },
  {
    group: 'fallthrough',
    title: 'host route under the mount path (GET /pay/health) answers',
    site: 'plain',
    async run(site) {
      const res = await fetch(`${site.main.publicUrl}/health`);
      expect(res.status).toBe(200);
      expect(res.headers.get(HOST_HEADER)).toBe('route');
      expect(await res.text()).toBe('host ok');
    },
  },

  // ── error responses ─────────────────────────────────────────────────────────────────────────
  {
    group: 'errors',
    title: 'unknown provider → 404 JSON (POST /checkout), 404 HTML (link), 404 (notify)',
    site: 'plain',
    async run(site) {
      const res = await postJson(`${site.main.publicUrl}/checkout`, {
        orderId: newOrder(site.main),
        provider: 'paypal',
        channel: 'wap',
      });
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await jsonOf(res)).toMatchObject({
        error: { code: 'PROVIDER_UNKNOWN', message: expect.stringContaining('paypal') },
      });
      const link = await fetch(`${site.main.publicUrl}/checkout/paypal?orderId=${newOrder(site.main)}`);
      expect(link.status).toBe(404);
      expect(link.headers.get('content-type')).toMatch(/^text\/html/);
      // A buyer's page names no internals: a short message and the reference of the log line.
      const text = await link.text();
      expect(text).not.toContain('paypal');
      expect(text).toContain(link.headers.get('x-request-id')!);
      const notify = await postForm(`${site.main.publicUrl}/notify/paypal`, { a: '1' });
      expect(notify.status).toBe(404);
      expect(notify.headers.get(HOST_HEADER)).toBeNull();
    },
  },
  {
    group: 'errors',
    title: 'unknown order → 404 JSON ORDER_NOT_FOUND',
    site: 'plain',
    async run(site) {
      const res = await postJson(`${site.main.publicUrl}/checkout`, {
        orderId: 'NOSUCHORDER123',
        provider: 'alipay',
        channel: 'wap',
      });
      expect(res.status).toBe(404);
      expect(await jsonOf(res)).toMatchObject({ error: { code: 'ORDER_NOT_FOUND' } });
    },
  },
  {
    group: 'errors',
    title: 'malformed JSON → 400 JSON naming the cause',
    site: 'plain',
    async run(site) {
      const res = await fetch(`${site.main.publicUrl}/checkout`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"orderId": "A1", "provider": ',
      });
      expect(res.status).toBe(400);
      expect(await jsonOf(res)).toMatchObject({ error: { message: expect.stringMatching(/not valid JSON/) } });
    },
  },
  {
    group: 'errors',
    title: 'oversized body → 413 (checkout JSON; Alipay notify answers "fail")',
    site: 'plain',
    async run(site) {
      const big = 'x'.repeat(site.main.payments.bodyLimit + 1024);
      const before = site.main.shop.paid.length + site.main.shop.mismatches.length;
      const res = await postJson(`${site.main.publicUrl}/checkout`, {
        orderId: newOrder(site.main),
        provider: 'alipay',
        padding: big,
      });
      expect(res.status).toBe(413);
      expect(await jsonOf(res)).toMatchObject({ error: { message: expect.stringContaining('bodyLimit') } });
      const notify = await postForm(`${site.main.publicUrl}/notify/alipay`, {
        notify_type: 'trade_status_sync',
        padding: big,
      });
      expect(notify.status).toBe(413);
      expect(await notify.text()).toBe('fail');
      expect(site.main.shop.paid.length + site.main.shop.mismatches.length).toBe(before);
    },
  },
  {
    group: 'errors',
    title: 'oversized chunked body (no Content-Length) → 413',
    site: 'plain',
    async run(site) {
      const limit = site.main.payments.bodyLimit;
      const chunk = new TextEncoder().encode(`orderId=${'A'.repeat(1024)}&`);
      let sent = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent > limit + 8 * 1024) {
            controller.close();
            return;
          }
          sent += chunk.byteLength;
          controller.enqueue(chunk);
        },
      });
      const res = await fetch(`${site.main.publicUrl}/checkout`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: stream,
        duplex: 'half',
      } as RequestInit).catch((error: unknown) => error as Error);
      // A server may answer 413 and close before reading everything; the client then sees either.
      if (res instanceof Error) throw new Error(`the connection failed instead of a 413: ${res.message}`);
      expect(res.status).toBe(413);
      expect(await jsonOf(res)).toMatchObject({ error: { message: expect.stringContaining('bodyLimit') } });
    },
  },
  {
    group: 'errors',
    title: 'wrong content type on POST /checkout → 415 JSON',
    site: 'plain',
    async run(site) {
      const res = await fetch(`${site.main.publicUrl}/checkout`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: `orderId=${newOrder(site.main)}&provider=alipay`,
      });
      expect(res.status).toBe(415);
      expect(await jsonOf(res)).toMatchObject({ error: { code: 'CONTENT_TYPE' } });
    },
  },
  {
    group: 'errors',
    title: 'forged Alipay notify → 400 "fail", no hook',
    site: 'plain',
    async run(site) {
      const orderId = newOrder(site.main);
      const before = site.main.shop.paid.length;
      const res = await postForm(`${site.main.publicUrl}/notify/alipay`, {
        notify_type: 'trade_status_sync',
        out_trade_no: orderId,
        trade_no: '2026112522001400000000000001',
        trade_status: 'TRADE_SUCCESS',
        total_amount: '12.34',
        app_id: '2021000000000000',
        sign_type: 'RSA2',
        sign: Buffer.alloc(256, 7).toString('base64'),
      });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(await res.text()).toBe('fail');
      expect(site.main.shop.paid.length).toBe(before);
      expect(site.main.shop.mismatches.length).toBe(0);
    },
  },
];
