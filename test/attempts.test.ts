import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alipay, createPayments, unionpay, wechatpay, type Payments } from '../src/index.js';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import { createShop, startApp, type RunningApp, type TestShop } from './helpers/shop.js';
import { parseForms } from './helpers/html-form.js';
import { ALIPAY_CONTENT_TYPE, fixtureAlipay, formBody, notifyFields, signNotify } from './helpers/alipay-notify.js';

/**
 * A buyer who retries: WeChat Pay refuses an out_trade_no used for H5 and then APP, UnionPay an
 * orderId posted twice in a day. Such a checkout gets a new trade number, and the notify, return,
 * query and refund all come back to the host's own order id.
 */
let sandbox: Sandbox;
let app: RunningApp;
let shop: TestShop;
let payments: Payments;

beforeAll(async () => {
  sandbox = await startSandbox({ timeScale: 0.0005 });
  app = await startApp('express');
  shop = createShop();
  payments = createPayments({
    publicUrl: app.publicUrl,
    providers: {
      wechatpay: wechatpay(sandbox.wechatpay),
      unionpay: unionpay(sandbox.unionpay),
      alipay: alipay(sandbox.alipay),
    },
    ...shop.hooks,
    // These tests make many attempts of one order on purpose; the rate limit is tested on its own.
    newTradeNumbers: false,
    logger: false,
  });
  app.use(payments);
});
afterAll(async () => {
  await app?.close();
  await sandbox?.close();
});

const post = (url: string, fields: Record<string, string>, redirect: RequestRedirect = 'follow') =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields),
    redirect,
  });

const delivered = (orderPrefix: string) =>
  sandbox.waitForDelivery((d) => d.orderId.startsWith(orderPrefix) && d.acknowledged);

describe('retried checkouts', () => {
  it('WeChat Pay: H5 then APP for one order pays under a new trade number, reported as the order', async () => {
    const order = shop.addOrder({ amount: 2000 });
    const h5 = await payments.checkout({
      provider: 'wechatpay',
      orderId: order.id,
      channel: 'wap',
      clientIp: '127.0.0.1',
    });
    expect(h5.type).toBe('redirect');
    const inApp = await payments.checkout({
      provider: 'wechatpay',
      orderId: order.id,
      channel: 'app',
      clientIp: '127.0.0.1',
    });
    expect(inApp.type).toBe('app');
    const sdk = await fetch(`${sandbox.url}/wechatpay/app/pay`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ params: (inApp as { params: unknown }).params, action: 'pay' }),
    });
    expect(((await sdk.json()) as { errCode: number }).errCode).toBe(0);
    await delivered(order.id);
    expect(shop.paid.filter((p) => p.orderId === order.id)).toHaveLength(1);
    expect(shop.mismatches).toHaveLength(0);
    expect(await payments.query('wechatpay', order.id)).toMatchObject({
      status: 'paid',
      orderId: order.id,
      amount: 2000,
    });
    const refund = await payments.refund({
      provider: 'wechatpay',
      orderId: order.id,
      refundId: `RF${order.id}`,
      amount: 500,
    });
    expect(refund).toMatchObject({ orderId: order.id, amount: 500 });
  });

  it('WeChat Pay: a buyer who pays the earlier H5 attempt after opening the app is still matched', async () => {
    const order = shop.addOrder({ amount: 3000 });
    const h5 = (await payments.checkout({
      provider: 'wechatpay',
      orderId: order.id,
      channel: 'wap',
      clientIp: '127.0.0.1',
    })) as { url: string };
    await payments.checkout({ provider: 'wechatpay', orderId: order.id, channel: 'app', clientIp: '127.0.0.1' });
    const page = await fetch(h5.url);
    const form = parseForms(await page.text(), page.url)[0]!;
    const paid = await post(form.action, { ...form.fields, action: 'pay' }, 'manual');
    const landing = await fetch(paid.headers.get('location')!, { redirect: 'manual' });
    expect(landing.status).toBe(302);
    expect(shop.paid.filter((p) => p.orderId === order.id)).toHaveLength(1);
    expect(await payments.settle('wechatpay', order.id)).toBe('paid');
  });

  it('UnionPay: a second WAP checkout the same day gets a new orderId and settles the order', async () => {
    const order = shop.addOrder({ amount: 1500 });
    const open = async () => {
      const page = await fetch(`${app.publicUrl}/checkout/unionpay?orderId=${order.id}`);
      const request = parseForms(await page.text(), page.url)[0]!;
      const cashier = await post(request.action, request.fields);
      return { request, cashier: parseForms(await cashier.text(), cashier.url)[0]! };
    };
    const first = await open();
    expect(first.request.fields.orderId).toBe(order.id);
    await post(first.cashier.action, { ...first.cashier.fields, action: 'abandon' });
    const second = await open();
    expect(second.request.fields.orderId).toBe(`${order.id}R2`);
    expect(second.cashier.buttons).toContain('pay');
    const result = await post(second.cashier.action, { ...second.cashier.fields, action: 'pay' });
    const front = parseForms(await result.text(), result.url)[0]!;
    const landing = await post(front.action, front.fields, 'manual');
    expect(landing.status).toBe(302);
    expect(landing.headers.get('location')).toContain(`orderId=${order.id}&`);
    await delivered(`${order.id}R2`);
    expect(shop.paid.filter((p) => p.orderId === order.id)).toHaveLength(1);
  });

  it('keeps the trade number when a retry may reuse it', async () => {
    const order = shop.addOrder({ amount: 800 });
    const a = (await payments.checkout({ provider: 'alipay', orderId: order.id, channel: 'wap' })) as { url: string };
    const b = await payments.checkout({ provider: 'alipay', orderId: order.id, channel: 'app' });
    expect(JSON.parse(new URL(a.url).searchParams.get('biz_content')!).out_trade_no).toBe(order.id);
    expect(
      b.type === 'app' && JSON.parse(new URLSearchParams(b.params.orderString).get('biz_content')!).out_trade_no,
    ).toBe(order.id);
  });

  it('takes a new trade number when the order changed, and goes back to a matching earlier one', async () => {
    const order = shop.addOrder({ amount: 1000 });
    const prepay = async () => {
      const result = await payments.checkout({
        provider: 'wechatpay',
        orderId: order.id,
        channel: 'wap',
        clientIp: '127.0.0.1',
      });
      return result.type === 'redirect' ? new URL(result.url).searchParams.get('redirect_url')! : '';
    };
    expect(await prepay()).toContain(`orderId=${order.id}`);
    order.amount = 900; // a coupon: WeChat Pay refuses the same out_trade_no with another amount
    expect(await prepay()).toContain(`orderId=${order.id}R2`);
    order.amount = 1000;
    expect(await prepay()).toMatch(new RegExp(`orderId=${order.id}$`));
  });

  it('caps the attempts of one order, so that a checkout link cannot mint trade numbers without end', async () => {
    const order = shop.addOrder({ amount: 100 });
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++)
      statuses.push((await fetch(`${app.publicUrl}/checkout/unionpay?orderId=${order.id}`)).status);
    expect(statuses.slice(0, 20)).toEqual(Array(20).fill(200));
    expect(statuses[20]).toBe(409);
  });

  it('gives an order at most 3 new numbers a minute by default: the 4th checkout waits, a reuse does not', async () => {
    const host = await startApp('express');
    const local = createShop();
    const limited = createPayments({
      publicUrl: host.publicUrl,
      providers: { unionpay: unionpay(sandbox.unionpay), wechatpay: wechatpay(sandbox.wechatpay) },
      ...local.hooks,
      logger: false,
    });
    host.use(limited);
    try {
      const order = local.addOrder({ amount: 100 });
      const link = `${host.publicUrl}/checkout/unionpay?orderId=${order.id}`;
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await fetch(link)).status);
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
      // WeChat H5 reuses its number: as many checkouts as the buyer likes.
      const wap = { provider: 'wechatpay', orderId: order.id, channel: 'wap' as const, clientIp: '127.0.0.1' };
      for (let i = 0; i < 5; i++) await limited.checkout(wap);
    } finally {
      await host.close();
    }
  });
});

describe('retries that must not reuse a number', () => {
  it('never reuses a number whose checkout failed after reaching the provider', async () => {
    const order = shop.addOrder({ amount: 700 });
    sandbox.simulators.wechatpay.inject(
      '/v3/pay/transactions/h5',
      { status: 500, code: 'SYSTEM_ERROR', message: 'timeout' },
      1,
    );
    await expect(
      payments.checkout({ provider: 'wechatpay', orderId: order.id, channel: 'wap', clientIp: '127.0.0.1' }),
    ).rejects.toMatchObject({ name: 'ProviderError' });
    const retry = await payments.checkout({
      provider: 'wechatpay',
      orderId: order.id,
      channel: 'wap',
      clientIp: '127.0.0.1',
    });
    expect(retry.type === 'redirect' && new URL(retry.url).searchParams.get('redirect_url')).toContain(
      `orderId=${order.id}R2`,
    );
  });

  it('serialises concurrent checkouts of one order, and every attempt stays queryable', async () => {
    const order = shop.addOrder({ amount: 1100 });
    const [wap, inApp] = await Promise.all([
      payments.checkout({ provider: 'wechatpay', orderId: order.id, channel: 'wap', clientIp: '127.0.0.1' }),
      payments.checkout({ provider: 'wechatpay', orderId: order.id, channel: 'app', clientIp: '127.0.0.1' }),
    ]);
    expect([wap.type, inApp.type]).toEqual(['redirect', 'app']);
    // Pay the attempt that was recorded first; settle must find it whichever is current.
    const page = await fetch((wap as { url: string }).url);
    const form = parseForms(await page.text(), page.url)[0]!;
    await post(form.action, { ...form.fields, action: 'pay' }, 'manual');
    expect(await payments.settle('wechatpay', order.id)).toBe('paid');
    expect(shop.paid.filter((p) => p.orderId === order.id)).toHaveLength(1);
  });

  it('skips numbers that are host order ids', async () => {
    const order = shop.addOrder({ amount: 400 });
    shop.addOrder({ id: `${order.id}R2`, amount: 400 });
    await payments.checkout({ provider: 'wechatpay', orderId: order.id, channel: 'wap', clientIp: '127.0.0.1' });
    const inApp = await payments.checkout({
      provider: 'wechatpay',
      orderId: order.id,
      channel: 'app',
      clientIp: '127.0.0.1',
    });
    expect(inApp.type === 'app' && inApp.params.prepayid).toBeTruthy();
    const sdk = await fetch(`${sandbox.url}/wechatpay/app/pay`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ params: (inApp as { params: unknown }).params, action: 'pay' }),
    });
    expect(((await sdk.json()) as { errCode: number }).errCode).toBe(0);
    await delivered(`${order.id}R3`);
    expect(shop.paid.filter((p) => p.orderId === order.id).map((p) => p.raw.out_trade_no)).toEqual([`${order.id}R3`]);
  });

  it('keeps the first payment when a buyer pays two attempts, and says so', async () => {
    const warnings: string[] = [];
    const host = await startApp('express');
    const local = createShop();
    const twice = createPayments({
      publicUrl: host.publicUrl,
      providers: { wechatpay: wechatpay(sandbox.wechatpay) },
      ...local.hooks,
      logger: { warn: (m) => void warnings.push(m), error: () => {} },
    });
    host.use(twice);
    try {
      const order = local.addOrder({ amount: 900 });
      const wap = (await twice.checkout({
        provider: 'wechatpay',
        orderId: order.id,
        channel: 'wap',
        clientIp: '127.0.0.1',
      })) as { url: string };
      const inApp = await twice.checkout({
        provider: 'wechatpay',
        orderId: order.id,
        channel: 'app',
        clientIp: '127.0.0.1',
      });
      await fetch(`${sandbox.url}/wechatpay/app/pay`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ params: (inApp as { params: unknown }).params, action: 'pay' }),
      });
      await delivered(`${order.id}R2`);
      const page = await fetch(wap.url);
      const form = parseForms(await page.text(), page.url)[0]!;
      await post(form.action, { ...form.fields, action: 'pay' }, 'manual');
      await sandbox.waitForDelivery((d) => d.orderId === order.id && d.acknowledged);
      const paid = local.paid.filter((p) => p.orderId === order.id);
      expect(paid).toHaveLength(2);
      expect(warnings.join('\n')).toMatch(/paid twice/);
      const refund = await twice.refund({
        provider: 'wechatpay',
        orderId: order.id,
        refundId: `RT${order.id}`,
        amount: 900,
      });
      // The refund goes to the first payment, the one the order's record kept.
      expect(refund.raw).toMatchObject({ transaction_id: paid[0]!.transactionId, out_trade_no: `${order.id}R2` });
    } finally {
      await host.close();
    }
  });
});

describe('trade numbers the store has forgotten', () => {
  it('ignores a "closed" notice about an attempt the buyer has moved on from', async () => {
    const host = await startApp('express');
    const local = createShop();
    const payments2 = createPayments({
      publicUrl: host.publicUrl,
      providers: { alipay: fixtureAlipay() },
      ...local.hooks,
      logger: false,
    });
    host.use(payments2);
    try {
      const order = local.addOrder({ amount: 100 });
      await payments2.checkout({ provider: 'alipay', orderId: order.id });
      order.amount = 90;
      await payments2.checkout({ provider: 'alipay', orderId: order.id }); // now R2 is current
      const closed = formBody(signNotify(notifyFields(order.id, '1.00', { trade_status: 'TRADE_CLOSED' })));
      const res = await fetch(`${host.publicUrl}/notify/alipay`, {
        method: 'POST',
        headers: { 'content-type': ALIPAY_CONTENT_TYPE },
        body: closed,
      });
      expect(await res.text()).toBe('success');
      expect(local.closed).toHaveLength(0);
      const current = formBody(signNotify(notifyFields(`${order.id}R2`, '0.90', { trade_status: 'TRADE_CLOSED' })));
      await fetch(`${host.publicUrl}/notify/alipay`, {
        method: 'POST',
        headers: { 'content-type': ALIPAY_CONTENT_TYPE },
        body: current,
      });
      expect(local.closed.map((c) => c.orderId)).toEqual([order.id]);
    } finally {
      await host.close();
    }
  });

  it('refuses to guess when a number and its base are both orders', async () => {
    const host = await startApp('koa');
    const fresh = createShop();
    host.use(
      createPayments({
        publicUrl: host.publicUrl,
        providers: { alipay: fixtureAlipay() },
        ...fresh.hooks,
        logger: false,
      }),
    );
    try {
      const order = fresh.addOrder({ amount: 100 });
      fresh.addOrder({ id: `${order.id}R2`, amount: 100 });
      const res = await fetch(`${host.publicUrl}/notify/alipay`, {
        method: 'POST',
        headers: { 'content-type': ALIPAY_CONTENT_TYPE },
        body: formBody(signNotify(notifyFields(`${order.id}R2`, '1.00'))),
      });
      expect([res.status, await res.text()]).toEqual([404, 'fail']);
      expect(fresh.paid).toHaveLength(0);
      expect(fresh.mismatches.map((m) => m.reason)).toEqual(['unknown_order']);
    } finally {
      await host.close();
    }
  });

  it('resolves <id>R<n> to the order when only the base id is known (a restarted memory store)', async () => {
    const host = await startApp('koa');
    const fresh = createShop();
    host.use(
      createPayments({
        publicUrl: host.publicUrl,
        providers: { alipay: fixtureAlipay() },
        ...fresh.hooks,
        logger: false,
      }),
    );
    try {
      const order = fresh.addOrder({ amount: 100 });
      const res = await fetch(`${host.publicUrl}/notify/alipay`, {
        method: 'POST',
        headers: { 'content-type': ALIPAY_CONTENT_TYPE },
        body: formBody(signNotify(notifyFields(`${order.id}R2`, '1.00'))),
      });
      expect(await res.text()).toBe('success');
      expect(fresh.paid.map((p) => p.orderId)).toEqual([order.id]);
      expect(fresh.paid[0]!.raw.out_trade_no).toBe(`${order.id}R2`);
    } finally {
      await host.close();
    }
  });
});
