import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alipay, createPayments, ProviderError, type AlipayOptions, type Payments } from '../src/index.js';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import {
  createShop,
  startApp,
  type AppOptions,
  type Framework,
  type RunningApp,
  type TestShop,
} from './helpers/shop.js';
import { parseForms } from './helpers/html-form.js';

/** The result page in English, the language these assertions read. */
const english = { headers: { 'accept-language': 'en' } };

/**
 * Alipay end to end: real Express and Koa apps, paymount mounted at /pay, talking over HTTP on
 * 127.0.0.1 to the Alipay simulator, which signs, redirects and notifies like Alipay.
 */
let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ timeScale: 0.0005 });
});
afterAll(async () => {
  await sandbox?.close();
});

interface Harness {
  app: RunningApp;
  shop: TestShop;
  payments: Payments;
}

async function harness(
  framework: Framework,
  options: Partial<AlipayOptions> = {},
  appOptions: AppOptions = {},
  base: AlipayOptions = sandbox.alipay,
): Promise<Harness> {
  const app = await startApp(framework, appOptions);
  const shop = createShop();
  const payments = createPayments({
    publicUrl: app.publicUrl,
    providers: { alipay: alipay({ ...base, ...options }) },
    ...shop.hooks,
    publicCheckout: true,
    // New trade numbers at once: the tests change orders between checkouts.
    newTradeNumbers: false,
    logger: false,
  });
  app.use(payments);
  return { app, shop, payments };
}

/** Follows the buyer through the cashier: opens the page, presses `action`, returns the cashier's answer. */
async function cashier(checkoutUrl: string, action: 'pay' | 'cancel'): Promise<Response> {
  let page = await fetch(checkoutUrl, { redirect: 'follow' });
  let html = await page.text();
  let form = parseForms(html, page.url)[0]!;
  if (!form.buttons.includes(action) && form.action.includes('gateway.do')) {
    // POST mode: the shop's auto-submitting form carries the signed request to the gateway.
    page = await fetch(form.action, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form.fields),
    });
    html = await page.text();
    form = parseForms(html, page.url)[0]!;
  }
  expect(form.buttons, html).toContain(action);
  return fetch(form.action, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ ...form.fields, action }),
    redirect: 'manual',
  });
}

const paidDelivery = (orderId: string) =>
  sandbox.waitForDelivery((d) => d.provider === 'alipay' && d.orderId === orderId && d.acknowledged);

for (const framework of ['express', 'koa'] as const) {
  describe(`Alipay WAP and APP against the sandbox on ${framework}`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await harness(framework);
    });
    afterAll(async () => {
      await h.app.close();
    });

    it('pays through the WAP cashier: return settles, notify is acknowledged, onPaid runs once', async () => {
      const order = h.shop.addOrder({ amount: 12800, subject: '龙井茶 250g' });
      const paid = await cashier(`${h.app.publicUrl}/checkout/alipay?orderId=${order.id}`, 'pay');
      expect(paid.status).toBe(302);
      const back = new URL(paid.headers.get('location')!);
      expect(back.href.startsWith(`${h.app.publicUrl}/return/alipay?`)).toBe(true);
      const landing = await fetch(back, { redirect: 'manual' });
      expect(landing.status).toBe(302);
      const result = new URL(landing.headers.get('location')!, h.app.origin);
      expect(await (await fetch(result, english)).text()).toMatch(/Payment received/);
      const delivery = await paidDelivery(order.id);
      expect(delivery.attempts.at(-1)).toMatchObject({ status: 200, body: 'success' });
      expect(h.shop.paid).toHaveLength(1);
      expect(h.shop.paid[0]).toMatchObject({ orderId: order.id, amount: 12800, provider: 'alipay' });
      expect(h.shop.paid[0]!.transactionId).toMatch(/^\d{28}$/);
    });

    it('leaves a cancelled payment unpaid', async () => {
      const order = h.shop.addOrder({ amount: 100 });
      const cancelled = await cashier(`${h.app.publicUrl}/checkout/alipay?orderId=${order.id}`, 'cancel');
      expect([200, 302]).toContain(cancelled.status);
      expect(await h.payments.query('alipay', order.id)).toMatchObject({ status: 'pending' });
      expect(h.shop.paid.filter((p) => p.orderId === order.id)).toHaveLength(0);
    });

    it('pays in the app: orderString → the SDK → notify → onPaid once', async () => {
      const order = h.shop.addOrder({ amount: 4590 });
      const checkout = await fetch(`${h.app.publicUrl}/checkout`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ orderId: order.id, provider: 'alipay', channel: 'app' }),
      });
      const result = (await checkout.json()) as { type: string; params: { orderString: string } };
      expect(result.type).toBe('app');
      const sdk = await fetch(`${sandbox.url}/alipay/app/pay`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ params: result.params, action: 'pay' }),
      });
      const answer = (await sdk.json()) as { resultStatus: string };
      expect(answer.resultStatus).toBe('9000');
      await paidDelivery(order.id);
      expect(h.shop.paid.filter((p) => p.orderId === order.id)).toHaveLength(1);
    });

    it('maps a cancelled app payment to 6001 and nothing paid', async () => {
      const order = h.shop.addOrder({ amount: 4590 });
      const { params } = (await h.payments.checkout({ provider: 'alipay', orderId: order.id, channel: 'app' })) as {
        params: Record<string, string>;
      };
      const sdk = await fetch(`${sandbox.url}/alipay/app/pay`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ params, action: 'cancel' }),
      });
      expect(((await sdk.json()) as { resultStatus: string }).resultStatus).toBe('6001');
      expect(h.shop.paid.filter((p) => p.orderId === order.id)).toHaveLength(0);
    });

    it('answers a failing onPaid with "fail" and succeeds once on the sandbox retry', async () => {
      const order = h.shop.addOrder({ amount: 8800 });
      const { params } = (await h.payments.checkout({ provider: 'alipay', orderId: order.id, channel: 'app' })) as {
        params: Record<string, string>;
      };
      h.shop.failOnPaid(1);
      await fetch(`${sandbox.url}/alipay/app/pay`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ params, action: 'pay' }),
      });
      const delivery = await paidDelivery(order.id);
      expect(delivery.attempts.length).toBeGreaterThanOrEqual(2);
      expect(delivery.attempts[0]).toMatchObject({ status: 500, body: 'fail' });
      expect(h.shop.paid.filter((p) => p.orderId === order.id)).toHaveLength(1);
    });

    it('refunds idempotently by refund id and reports each refund once', async () => {
      const order = h.shop.addOrder({ amount: 1000 });
      const { params } = (await h.payments.checkout({ provider: 'alipay', orderId: order.id, channel: 'app' })) as {
        params: Record<string, string>;
      };
      await fetch(`${sandbox.url}/alipay/app/pay`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ params, action: 'pay' }),
      });
      await paidDelivery(order.id);
      const first = await h.payments.refund({
        provider: 'alipay',
        orderId: order.id,
        refundId: 'R1',
        amount: 300,
        reason: 'damaged',
      });
      expect(first).toMatchObject({ status: 'success', amount: 300, refundId: 'R1' });
      await h.payments.refund({ provider: 'alipay', orderId: order.id, refundId: 'R1', amount: 300 });
      expect(h.shop.refunds.filter((r) => r.orderId === order.id)).toHaveLength(1);
      await expect(
        h.payments.refund({ provider: 'alipay', orderId: order.id, refundId: 'R2', amount: 800 }),
      ).rejects.toMatchObject({ name: 'ProviderError', subCode: 'ACQ.REASON_TRADE_REFUND_FEE_ERR' });
      expect(await h.payments.queryRefund('alipay', order.id, 'R1')).toMatchObject({ status: 'success', amount: 300 });
      expect(h.shop.refunds.filter((r) => r.orderId === order.id)).toHaveLength(1);
    });

    it('reports a refund again when one reported failed later succeeds', async () => {
      const order = h.shop.addOrder({ amount: 600 });
      const { params } = (await h.payments.checkout({ provider: 'alipay', orderId: order.id, channel: 'app' })) as {
        params: Record<string, string>;
      };
      await fetch(`${sandbox.url}/alipay/app/pay`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ params, action: 'pay' }),
      });
      await paidDelivery(order.id);
      // Never sent: the query says it did not happen, and the host is told so.
      expect(await h.payments.queryRefund('alipay', order.id, 'LATE1')).toMatchObject({ status: 'failed' });
      await h.payments.refund({ provider: 'alipay', orderId: order.id, refundId: 'LATE1', amount: 100 });
      expect(h.shop.refunds.filter((r) => r.orderId === order.id).map((r) => r.status)).toEqual(['failed', 'success']);
    });

    it('treats an order the buyer never opened as not found, and closes it', async () => {
      const order = h.shop.addOrder({ amount: 100 });
      expect(await h.payments.query('alipay', order.id)).toMatchObject({ status: 'not_found' });
      await expect(h.payments.close('alipay', order.id)).resolves.toBeUndefined();
    });

    it('refuses a tampered return without fulfilling', async () => {
      const order = h.shop.addOrder({ amount: 700 });
      const paid = await cashier(`${h.app.publicUrl}/checkout/alipay?orderId=${order.id}`, 'pay');
      const back = new URL(paid.headers.get('location')!);
      back.searchParams.set('total_amount', '0.01');
      const res = await fetch(back, { redirect: 'manual' });
      expect(res.status).toBe(401);
      expect(await res.text()).not.toMatch(/signature/);
    });
  });
}

describe('Alipay sandbox, other modes', () => {
  it('settles on return by querying when the notify cannot get through', async () => {
    // The host answers the provider's notifies with 503: only the return's query can settle.
    const h = await harness('express', {}, { blockPrefix: '/pay/notify/' });
    try {
      const order = h.shop.addOrder({ amount: 2500 });
      const paid = await cashier(`${h.app.publicUrl}/checkout/alipay?orderId=${order.id}`, 'pay');
      const landing = await fetch(paid.headers.get('location')!, { redirect: 'manual' });
      expect(landing.status).toBe(302);
      expect(h.shop.paid).toHaveLength(1);
      expect(h.shop.paid[0]).toMatchObject({ orderId: order.id, amount: 2500 });
      expect(await h.payments.settle('alipay', order.id)).toBe('paid');
      expect(h.shop.paid).toHaveLength(1);
    } finally {
      await h.app.close();
    }
  });

  it('sends a buyer who quits to the result page, and pays a changed order under a new trade number', async () => {
    const h = await harness('express');
    try {
      const order = h.shop.addOrder({ amount: 500 });
      const link = `${h.app.publicUrl}/checkout/alipay?orderId=${order.id}`;
      const resultPage = `${h.app.publicUrl}/result?orderId=${order.id}&provider=alipay&outcome=cancelled`;
      const quit = await cashier(link, 'cancel');
      expect([quit.status, quit.headers.get('location')]).toEqual([302, resultPage]);
      expect(await (await fetch(resultPage, english)).text()).toMatch(/cancelled/i);

      // The amount changed: Alipay would refuse the first trade number with another amount.
      order.amount = 450;
      const cashierUrl = new URL((await fetch(link, { redirect: 'manual' })).headers.get('location')!);
      expect(JSON.parse(cashierUrl.searchParams.get('biz_content')!)).toMatchObject({
        out_trade_no: `${order.id}R2`,
        total_amount: '4.50',
        quit_url: resultPage,
      });
      const paid = await cashier(link, 'pay');
      await fetch(paid.headers.get('location')!, { redirect: 'manual' });
      await paidDelivery(`${order.id}R2`);
      expect(h.shop.paid.map((p) => [p.orderId, p.amount])).toEqual([[order.id, 450]]);
      expect(await h.payments.query('alipay', order.id)).toMatchObject({ status: 'paid', tradeNo: `${order.id}R2` });
    } finally {
      await h.app.close();
    }
  });

  it('finds the order of a derived trade number through passback_params after the store forgot it', async () => {
    const h = await harness('express');
    try {
      // 63 characters: the order id fits out_trade_no, its retry number `<id>R2` does not.
      const order = h.shop.addOrder({ id: `L${Date.now()}`.padEnd(63, '0'), amount: 880 });
      await h.payments.checkout({ provider: 'alipay', orderId: order.id, channel: 'app' });
      order.amount = 780;
      const { params } = (await h.payments.checkout({ provider: 'alipay', orderId: order.id, channel: 'app' })) as {
        params: Record<string, string>;
      };
      const biz = JSON.parse(new URLSearchParams(params.orderString).get('biz_content')!) as Record<string, string>;
      expect(biz.out_trade_no).toMatch(/^P[0-9a-f]{22}R2$/);
      expect(biz.passback_params).toBe(order.id);
      // A restart with a memory store: nothing maps the trade number to the order any more.
      h.app.use(
        createPayments({
          publicUrl: h.app.publicUrl,
          providers: { alipay: alipay(sandbox.alipay) },
          ...h.shop.hooks,
          publicCheckout: true,
          logger: false,
        }),
      );
      await fetch(`${sandbox.url}/alipay/app/pay`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ params, action: 'pay' }),
      });
      await paidDelivery(biz.out_trade_no!);
      expect(h.shop.paid.map((p) => [p.orderId, p.amount])).toEqual([[order.id, 780]]);
      expect(h.shop.mismatches).toHaveLength(0);
    } finally {
      await h.app.close();
    }
  });

  it('pays through the POST-mode form and in certificate mode', async () => {
    const h = await harness('koa', { wapMethod: 'POST' }, {}, sandbox.alipayCertificates);
    try {
      const order = h.shop.addOrder({ amount: 990 });
      const paid = await cashier(`${h.app.publicUrl}/checkout/alipay?orderId=${order.id}`, 'pay');
      await fetch(paid.headers.get('location')!, { redirect: 'manual' });
      await paidDelivery(order.id);
      expect(h.shop.paid).toHaveLength(1);
      expect(await h.payments.query('alipay', order.id)).toMatchObject({ status: 'paid', amount: 990 });
    } finally {
      await h.app.close();
    }
  });

  it("reports each refund notify with that refund's own amount, not the running total", async () => {
    // The shop that took the payment (its notify_url) hears of refunds made elsewhere (another instance).
    const taker = await harness('express');
    const other = await harness('koa');
    try {
      const order = taker.shop.addOrder({ amount: 1000 });
      other.shop.orders.set(order.id, { ...order });
      const { params } = (await taker.payments.checkout({ provider: 'alipay', orderId: order.id, channel: 'app' })) as {
        params: Record<string, string>;
      };
      await fetch(`${sandbox.url}/alipay/app/pay`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ params, action: 'pay' }),
      });
      await paidDelivery(order.id);
      await other.payments.refund({ provider: 'alipay', orderId: order.id, refundId: 'P1', amount: 300 });
      await other.payments.refund({ provider: 'alipay', orderId: order.id, refundId: 'P2', amount: 200 });
      await sandbox.waitForDelivery(
        (d) => d.orderId === order.id && d.kind !== 'payment' && d.acknowledged && taker.shop.refunds.length === 2,
      );
      expect(taker.shop.refunds.map((r) => [r.refundId, r.amount])).toEqual([
        ['P1', 300],
        ['P2', 200],
      ]);
    } finally {
      await taker.app.close();
      await other.app.close();
    }
  });

  it('redirects after return only to the host origin given by resultUrl', async () => {
    for (const [target, expected] of [
      ['/orders/mine?x=1', '/orders/mine?x=1'],
      ['https://evil.example/phish', '/pay/result?'],
      ['//evil.example/phish', '/pay/result?'],
      ['javascript:alert(1)', '/pay/result?'],
    ] as const) {
      const app = await startApp('express');
      const shop = createShop();
      const warnings: string[] = [];
      app.use(
        createPayments({
          publicUrl: app.publicUrl,
          providers: { alipay: alipay(sandbox.alipay) },
          ...shop.hooks,
          publicCheckout: true,
          resultUrl: () => target,
          logger: { warn: (m) => void warnings.push(m), error: () => {} },
        }),
      );
      try {
        const order = shop.addOrder({ amount: 300 });
        const paid = await cashier(`${app.publicUrl}/checkout/alipay?orderId=${order.id}`, 'pay');
        const landing = await fetch(paid.headers.get('location')!, { redirect: 'manual' });
        const location = new URL(landing.headers.get('location')!, app.origin);
        expect(location.origin, target).toBe(app.origin);
        expect(location.pathname + location.search, target).toContain(expected);
        if (expected.startsWith('/pay/result')) expect(warnings.join('\n')).toMatch(/not on http:\/\/127\.0\.0\.1/);
      } finally {
        await app.close();
      }
    }
  });

  it('surfaces the gateway refusing a key that does not belong to the app', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const h = await harness('express', { privateKey });
    try {
      const error = await h.payments.query('alipay', 'NEVER-SEEN').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ProviderError);
      expect(error).toMatchObject({ subCode: 'isv.invalid-signature', retryable: false });
    } finally {
      await h.app.close();
    }
  });

  it('marks "system busy" answers as retryable', async () => {
    const h = await harness('express');
    try {
      sandbox.simulators.alipay.inject('alipay.trade.query', { code: '20000', subCode: 'isp.unknow-error' });
      await expect(h.payments.query('alipay', 'ANY-ORDER')).rejects.toMatchObject({
        code: 'PROVIDER_REJECTED',
        providerCode: '20000',
        subCode: 'isp.unknow-error',
        retryable: true,
      });
    } finally {
      await h.app.close();
    }
  });
});
