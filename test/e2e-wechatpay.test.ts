import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPayments, memoryStore, wechatpay, type Payments, type WechatpayOptions } from '../src/index.js';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import type { WechatpaySimulator } from '../src/sandbox/wechatpay/index.js';
import { createShop, startApp, type Framework, type RunningApp, type TestShop } from './helpers/shop.js';
import { parseForms } from './helpers/html-form.js';

let sandbox: Sandbox;
const apps: RunningApp[] = [];
const simulator = (): WechatpaySimulator => {
  const found = (sandbox.simulators as unknown as { wechatpay?: WechatpaySimulator }).wechatpay;
  if (!found) throw new Error('sandbox.simulators.wechatpay is not exposed by startSandbox (src/sandbox/index.ts)');
  return found;
};

beforeAll(async () => {
  sandbox = await startSandbox({ timeScale: 0.0005 });
});
afterAll(async () => {
  await sandbox.close();
  await Promise.all(apps.map((a) => a.close()));
});

type Variant = { name: string; options: () => WechatpayOptions };
const variants: Variant[] = [
  { name: 'v3 public key', options: () => sandbox.wechatpay as WechatpayOptions },
  { name: 'v3 platform certificates', options: () => sandbox.wechatpayV3Certificates as WechatpayOptions },
  { name: 'v2 MD5', options: () => sandbox.wechatpayV2 as WechatpayOptions },
  { name: 'v2 HMAC-SHA256', options: () => sandbox.wechatpayV2Hmac as WechatpayOptions },
];

let seq = 0;
const orderId = () => `WX${Date.now().toString(36)}${String(++seq).padStart(4, '0')}`;

async function shopApp(
  framework: Framework,
  options: WechatpayOptions,
  appOptions: Parameters<typeof startApp>[1] = {},
): Promise<{ app: RunningApp; shop: TestShop; payments: Payments }> {
  const app = await startApp(framework, appOptions);
  apps.push(app);
  const shop = createShop();
  const payments = createPayments({
    publicUrl: app.publicUrl,
    providers: { wechatpay: wechatpay(options) },
    ...shop.hooks,
    logger: false,
  });
  app.use(payments);
  return { app, shop, payments };
}

async function checkout(app: RunningApp, id: string, channel: 'wap' | 'app'): Promise<Record<string, unknown>> {
  const res = await fetch(`${app.publicUrl}/checkout`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ orderId: id, provider: 'wechatpay', channel }),
  });
  const body = (await res.json()) as Record<string, unknown>;
  expect(res.status, JSON.stringify(body)).toBe(200);
  return body;
}

const delivered = (id: string, kind = 'payment') =>
  sandbox.waitForDelivery(
    (d) => d.provider === 'wechatpay' && d.orderId === id && d.kind === kind && d.acknowledged,
    15_000,
  );

async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function appPay(
  params: unknown,
  action: 'pay' | 'cancel' | 'fail' = 'pay',
): Promise<{ errCode: number; errStr: string }> {
  const res = await fetch(`${sandbox.url}/wechatpay/app/pay`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ params, action }),
  });
  return (await res.json()) as { errCode: number; errStr: string };
}

/** Buyer's browser: open the cashier, press a button, follow the 302 back to /return. */
async function h5Pay(url: string, button: 'pay' | 'cancel'): Promise<Response> {
  const page = await fetch(url);
  const html = await page.text();
  expect(page.status, html).toBe(200);
  const forms = parseForms(html, url);
  expect(forms).toHaveLength(1);
  const form = forms[0]!;
  expect(form.buttons).toContain(button);
  const submitted = await fetch(form.action, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ ...form.fields, action: button }).toString(),
    redirect: 'manual',
  });
  expect(submitted.status).toBe(302);
  const back = submitted.headers.get('location')!;
  return fetch(back, { redirect: 'manual' });
}

describe.each(variants)('WeChat Pay $name against the sandbox', (variant) => {
  it.each(['express', 'koa'] as const)(
    'H5 on %s: checkout → cashier → pay → redirect → /return → onPaid once',
    async (framework) => {
      const { app, shop } = await shopApp(framework, variant.options());
      const order = shop.addOrder({ id: orderId(), amount: 1234, subject: '测试商品 H5' });
      const result = await checkout(app, order.id, 'wap');
      expect(result.type).toBe('redirect');
      const url = new URL(String(result.url));
      expect(url.searchParams.get('redirect_url')).toBe(`${app.publicUrl}/return/wechatpay?orderId=${order.id}`);
      const back = await h5Pay(String(result.url), 'pay');
      expect(back.status).toBe(302);
      expect(back.headers.get('location')).toContain(`orderId=${order.id}`);
      await delivered(order.id);
      expect(shop.paid).toHaveLength(1);
      expect(shop.paid[0]).toMatchObject({ orderId: order.id, amount: 1234, provider: 'wechatpay' });
      expect(shop.paid[0]!.transactionId).toMatch(/^\d{28}$/);
      // the default result page shows what the store knows
      const landing = await fetch(new URL(back.headers.get('location')!, app.origin));
      expect(landing.status).toBe(200);
    },
  );

  it('query / close: unknown → not_found, placed → pending, closed → closed', async () => {
    const { app, shop, payments } = await shopApp('express', variant.options());
    expect(await payments.query('wechatpay', 'NOSUCHORDER01')).toMatchObject({
      status: 'not_found',
      orderId: 'NOSUCHORDER01',
    });
    const order = shop.addOrder({ id: orderId(), amount: 100 });
    await checkout(app, order.id, 'wap');
    expect(await payments.query('wechatpay', order.id)).toMatchObject({ status: 'pending' });
    await payments.close('wechatpay', order.id);
    expect(await payments.query('wechatpay', order.id)).toMatchObject({ status: 'closed' });
    await payments.close('wechatpay', order.id); // closing twice is fine
  });

  it('H5 cancel → return queries, order stays pending, no hook', async () => {
    const { app, shop } = await shopApp('express', variant.options());
    const order = shop.addOrder({ id: orderId(), amount: 500 });
    const result = await checkout(app, order.id, 'wap');
    const back = await h5Pay(String(result.url), 'cancel');
    expect(back.status).toBe(302);
    expect(shop.paid).toHaveLength(0);
  });

  it('APP: params → /app/pay → notify → onPaid once; refund → PROCESSING → refund notify → onRefunded', async () => {
    const { app, shop, payments } = await shopApp('koa', variant.options());
    const order = shop.addOrder({ id: orderId(), amount: 2000 });
    const result = await checkout(app, order.id, 'app');
    expect(result).toMatchObject({ type: 'app', provider: 'wechatpay' });
    const params = result.params as Record<string, string>;
    expect(Object.keys(params).sort()).toEqual([
      'appid',
      'noncestr',
      'package',
      'partnerid',
      'prepayid',
      'sign',
      'timestamp',
    ]);
    expect(params.package).toBe('Sign=WXPay');
    expect(params.timestamp).toMatch(/^\d{10}$/);
    const opts = variant.options();
    expect(params.appid).toBe(typeof opts.appId === 'string' ? opts.appId : opts.appId.app);
    // the same order again reuses the prepay_id
    const again = (await checkout(app, order.id, 'app')).params as Record<string, string>;
    expect(again.prepayid).toBe(params.prepayid);
    // a tampered client signature is refused by the SDK stand-in
    expect(
      (await appPay({ ...params, sign: params.sign!.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) })).errCode,
    ).toBe(-1);
    expect(await appPay(params)).toMatchObject({ errCode: 0 });
    await delivered(order.id);
    expect(shop.paid).toHaveLength(1);
    expect(shop.paid[0]?.channel).toBe('app');

    expect(await payments.query('wechatpay', order.id)).toMatchObject({ status: 'paid', amount: 2000 });
    const refund = await payments.refund({
      provider: 'wechatpay',
      orderId: order.id,
      refundId: `R${order.id}`,
      amount: 800,
      reason: 'test',
    });
    expect(refund.status).toBe('processing');
    await delivered(order.id, 'refund');
    await until(() => shop.refunds.some((r) => r.status === 'success'), 'onRefunded');
    expect(shop.refunds.filter((r) => r.status === 'success')).toHaveLength(1);
    expect(shop.refunds[0]).toMatchObject({ refundId: `R${order.id}`, amount: 800 });
    expect(await payments.queryRefund('wechatpay', order.id, `R${order.id}`)).toMatchObject({
      status: 'success',
      amount: 800,
    });
    expect(shop.refunds.filter((r) => r.status === 'success')).toHaveLength(1);
  });

  it('other mchid / app id in the notify → onMismatch and a fail ack; wrong amount → onMismatch(amount)', async () => {
    const real = variant.options();
    const realApp = typeof real.appId === 'string' ? real.appId : real.appId.app;
    for (const [what, other] of [
      ['app', { ...real, appId: { wap: 'wx1111111111111111', app: 'wx2222222222222222' } }],
      ['merchant', { ...real, mchId: '1999999999' }],
    ] as const) {
      const app = await startApp('express');
      apps.push(app);
      const shop = createShop();
      // the order is placed with the real configuration, its notify_url pointing at the other one
      const store = memoryStore();
      const placer = createPayments({
        publicUrl: app.publicUrl,
        providers: { wechatpay: wechatpay(real) },
        ...shop.hooks,
        store,
        logger: false,
      });
      const order = shop.addOrder({ id: orderId(), amount: 300 });
      const result = await placer.checkout({
        provider: 'wechatpay',
        orderId: order.id,
        channel: 'app',
        clientIp: '203.0.113.7',
      });
      expect(result.type === 'app' && result.params.appid).toBe(realApp);
      // certificate mode: the other merchant cannot download WeChat's certificates itself; hand it the real ones
      const cached = await store.get(`paymount:wechatpay:${real.mchId}:platform-certificates`);
      const receiver: WechatpayOptions =
        cached && other.v3
          ? {
              ...other,
              v3: {
                ...other.v3,
                platformCertificates: (JSON.parse(cached) as Array<{ pem: string }>).map((c) => c.pem),
              },
            }
          : other;
      app.use(
        createPayments({
          publicUrl: app.publicUrl,
          providers: { wechatpay: wechatpay(receiver) },
          ...shop.hooks,
          logger: false,
        }),
      );
      expect((await appPay(result.type === 'app' ? result.params : {})).errCode).toBe(0);
      await until(() => sandbox.deliveries.some((d) => d.orderId === order.id && d.attempts.length > 0), 'the notify');
      const attempt = sandbox.deliveries.find((d) => d.orderId === order.id)!.attempts[0]!;
      expect(attempt.status, attempt.body).toBe(409);
      await until(() => shop.mismatches.length > 0, 'onMismatch');
      expect(shop.mismatches[0]?.reason).toBe(what);
      expect(shop.paid).toHaveLength(0);
    }

    const { app, shop } = await shopApp('express', real);
    const order = shop.addOrder({ id: orderId(), amount: 1000 });
    const params = (await checkout(app, order.id, 'app')).params;
    shop.orders.get(order.id)!.amount = 999; // the host's order changed after the prepay
    expect((await appPay(params)).errCode).toBe(0);
    await until(() => shop.mismatches.length > 0, 'onMismatch');
    expect(shop.mismatches[0]).toMatchObject({ reason: 'amount', expected: 999, actual: 1000 });
    expect(shop.paid).toHaveLength(0);
  });
});

describe('WeChat Pay v3 specifics against the sandbox', () => {
  it('JSON body parser first: express fails the v3 notify naming the fix; koa keeps rawBody and works', async () => {
    const { app, shop } = await shopApp('express', sandbox.wechatpay as WechatpayOptions, { parserFirst: 'json' });
    const order = shop.addOrder({ id: orderId(), amount: 100 });
    expect((await appPay((await checkout(app, order.id, 'app')).params)).errCode).toBe(0);
    await until(() => sandbox.deliveries.some((d) => d.orderId === order.id && d.attempts.length > 0), 'the notify');
    const attempt = sandbox.deliveries.find((d) => d.orderId === order.id)!.attempts[0]!;
    expect(attempt.status).toBe(400);
    expect(JSON.parse(attempt.body!)).toMatchObject({
      code: 'FAIL',
      message: expect.stringMatching(/express\.json\(\)/),
    });
    expect(shop.paid).toHaveLength(0);

    const koa = await shopApp('koa', sandbox.wechatpay as WechatpayOptions, { parserFirst: 'json' });
    const order2 = koa.shop.addOrder({ id: orderId(), amount: 100 });
    expect((await appPay((await checkout(koa.app, order2.id, 'app')).params)).errCode).toBe(0);
    await delivered(order2.id);
    expect(koa.shop.paid).toHaveLength(1);
  });

  it('platform certificate rotation: the new serial triggers one refresh and payments keep verifying', async () => {
    const { app, shop } = await shopApp('express', sandbox.wechatpayV3Certificates as WechatpayOptions);
    const first = shop.addOrder({ id: orderId(), amount: 100 });
    expect((await appPay((await checkout(app, first.id, 'app')).params)).errCode).toBe(0);
    await delivered(first.id);
    simulator().rotatePlatformCertificate();
    const second = shop.addOrder({ id: orderId(), amount: 200 });
    expect((await appPay((await checkout(app, second.id, 'app')).params)).errCode).toBe(0);
    await delivered(second.id);
    expect(shop.paid.map((p) => p.orderId)).toEqual([first.id, second.id]);
  });

  it('a WECHATPAY/SIGNTEST/ probe is refused (4xx), the correctly signed resend is fulfilled once', async () => {
    const { app, shop } = await shopApp('express', sandbox.wechatpay as WechatpayOptions);
    const order = shop.addOrder({ id: orderId(), amount: 100 });
    const params = (await checkout(app, order.id, 'app')).params;
    simulator().injectSignatureProbe(1);
    expect((await appPay(params)).errCode).toBe(0);
    const delivery = await delivered(order.id);
    expect(delivery.attempts[0]?.status).toBe(401);
    expect(delivery.attempts.at(-1)?.status).toBe(204);
    expect(shop.paid).toHaveLength(1);
  });

  it('a merchant-platform refund notifies in v2 XML at a v3 merchant: understood with the v2 key (P12)', async () => {
    const base = sandbox.wechatpay as WechatpayOptions;
    const { app, shop } = await shopApp('express', { ...base, v2: { apiKey: simulator().v2ApiKey(base.mchId) } });
    const order = shop.addOrder({ id: orderId(), amount: 700 });
    expect((await appPay((await checkout(app, order.id, 'app')).params)).errCode).toBe(0);
    await delivered(order.id);
    simulator().platformRefund({
      mchId: base.mchId,
      outTradeNo: order.id,
      outRefundNo: `P${order.id}`,
      amount: 700,
      notifyUrl: `${app.publicUrl}/notify/wechatpay/refund`,
    });
    await delivered(order.id, 'refund');
    expect(shop.refunds).toMatchObject([{ refundId: `P${order.id}`, amount: 700, status: 'success' }]);
  });

  it('20 concurrent copies of one real notify → onPaid once', async () => {
    // A capturing endpoint stands in for the shop's notify URL, then replays the exact request 20 times.
    let captured: { headers: Record<string, string>; body: Buffer } | undefined;
    const capture: Server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers))
          if (typeof v === 'string' && (k.startsWith('wechatpay-') || k === 'content-type')) headers[k] = v;
        captured ??= { headers, body: Buffer.concat(chunks) };
        res.writeHead(503).end();
      });
    });
    await new Promise<void>((r) => capture.listen(0, '127.0.0.1', r));
    try {
      const captureUrl = `http://127.0.0.1:${(capture.address() as AddressInfo).port}/pay`;
      const { app, shop } = await shopApp('express', sandbox.wechatpay as WechatpayOptions);
      const placer = createPayments({
        publicUrl: captureUrl,
        providers: { wechatpay: wechatpay(sandbox.wechatpay as WechatpayOptions) },
        ...shop.hooks,
        logger: false,
      });
      const order = shop.addOrder({ id: orderId(), amount: 100 });
      const result = await placer.checkout({
        provider: 'wechatpay',
        orderId: order.id,
        channel: 'app',
        clientIp: '203.0.113.9',
      });
      expect((await appPay(result.type === 'app' ? result.params : {})).errCode).toBe(0);
      await until(() => captured !== undefined, 'the captured notify');
      const statuses = await Promise.all(
        Array.from(
          { length: 20 },
          async () =>
            (
              await fetch(`${app.publicUrl}/notify/wechatpay`, {
                method: 'POST',
                headers: captured!.headers,
                body: new Uint8Array(captured!.body),
              })
            ).status,
        ),
      );
      expect(statuses).toEqual(Array(20).fill(204));
      expect(shop.paid).toHaveLength(1);
    } finally {
      await new Promise<void>((r) => capture.close(() => r()));
    }
  });
});
