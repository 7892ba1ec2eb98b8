import { expectConfigError } from './helpers/config-error.js';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, createPayments, fenToYuan, yuanToFen, memoryStore, type PaymentsOptions } from '../src/index.js';
import { beijingCompact, beijingDateTime, parseBeijing } from '../src/wire/time.js';
import { parseForm } from '../src/wire/form.js';
import { fetchPayments } from '../adapters/fetch.js';
import { createShop, startApp, type RunningApp } from './helpers/shop.js';
import { fixtureAlipay } from './helpers/alipay-notify.js';

const running: RunningApp[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((app) => app.close()));
});

describe('money and time', () => {
  it('converts fen and yuan with integer arithmetic only', () => {
    expect([fenToYuan(1), fenToYuan(10), fenToYuan(1234), fenToYuan(30), fenToYuan(10000000000)]).toEqual([
      '0.01',
      '0.10',
      '12.34',
      '0.30',
      '100000000.00',
    ]);
    expect([yuanToFen('0.01'), yuanToFen('12.3'), yuanToFen('12'), yuanToFen('0.30')]).toEqual([1, 1230, 1200, 30]);
    for (const bad of ['1.234', '-1', '1e3', ' 1', '', '.5', '0x10']) expect(yuanToFen(bad), bad).toBeUndefined();
    expect(() => fenToYuan(1.5)).toThrow(RangeError);
  });

  it('formats Beijing time whatever the process time zone', () => {
    const instant = new Date('2024-05-13T16:30:05Z');
    expect(beijingDateTime(instant)).toBe('2024-05-14 00:30:05');
    expect(beijingCompact(instant)).toBe('20240514003005');
    expect(parseBeijing('2024-05-14 00:30:05')?.toISOString()).toBe(instant.toISOString());
    expect(parseBeijing('20240514003005')?.toISOString()).toBe(instant.toISOString());
    expect(parseBeijing('2024-02-30 00:00:00')).toBeUndefined();
  });

  it('parses forms once and refuses duplicates and broken escapes', () => {
    expect(parseForm('a=1+2&b=%E4%B8%AD&c=%253D')).toEqual({ a: '1 2', b: '中', c: '%3D' });
    expect(Object.getPrototypeOf(parseForm('__proto__=x'))).toBeNull();
    expect(() => parseForm('a=1&a=2')).toThrow(/more than once/);
    expect(() => parseForm('a=%zz')).toThrow(/percent-encoding/);
  });
});

describe('createPayments configuration', () => {
  const valid = (): PaymentsOptions => ({
    publicUrl: 'https://shop.example.com/pay',
    providers: { alipay: fixtureAlipay() },
    getOrder: () => null,
    onPaid: () => {},
  });
  const mistake = (patch: Partial<PaymentsOptions> | Record<string, unknown>, field: string) =>
    expectConfigError(() => createPayments({ ...valid(), ...patch } as PaymentsOptions), field).message;

  it('throws one specific ConfigError per mistake', () => {
    expect(mistake({ publicUrl: '/pay' }, 'publicUrl')).toMatch(/absolute URL/);
    expect(mistake({ publicUrl: 'https://shop.example.com/pay?x=1' }, 'publicUrl')).toMatch(/query/);
    expect(mistake({ getOrder: undefined }, 'getOrder')).toMatch(/required/);
    expect(mistake({ onPaid: 'yes' }, 'onPaid')).toMatch(/function/);
    expect(mistake({ onRefunded: 1 }, 'onRefunded')).toMatch(/function/);
    expect(mistake({ providers: {} }, 'providers')).toMatch(/at least one/);
    expect(mistake({ providers: { wechatpay: fixtureAlipay() } }, 'providers.wechatpay')).toMatch(/"alipay"/);
    expect(mistake({ providers: { alipay: { appId: 'x' } } }, 'providers.alipay')).toMatch(/provider factory/);
    expect(mistake({ bodyLimit: 10 }, 'bodyLimit')).toMatch(/1024/);
    expect(mistake({ store: {} }, 'store')).toMatch(/PaymentStore/);
  });
});

describe('checkout and result routes', () => {
  async function app(options: Partial<PaymentsOptions> = {}) {
    const running1 = await startApp('express');
    running.push(running1);
    const shop = createShop();
    const payments = createPayments({
      publicUrl: running1.publicUrl,
      providers: { alipay: fixtureAlipay() },
      ...shop.hooks,
      logger: false,
      ...options,
    });
    running1.use(payments);
    return { url: running1.publicUrl, origin: running1.origin, shop, payments };
  }

  it('answers JSON checkout with one shape and names each refusal', async () => {
    const { url, shop } = await app();
    const order = shop.addOrder({ amount: 1234, subject: '测试' });
    const post = (body: unknown, type = 'application/json') =>
      fetch(`${url}/checkout`, {
        method: 'POST',
        headers: { 'content-type': type },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }).then(async (r) => ({ status: r.status, body: await r.json() }));

    const wap = await post({ orderId: order.id, provider: 'alipay', channel: 'wap' });
    expect(wap.status).toBe(200);
    expect(wap.body.type).toBe('redirect');
    const target = new URL(wap.body.url);
    expect(JSON.parse(target.searchParams.get('biz_content')!)).toMatchObject({
      out_trade_no: order.id,
      total_amount: '12.34',
      subject: '测试',
      product_code: 'QUICK_WAP_WAY',
    });
    expect(target.searchParams.get('notify_url')).toBe(`${url}/notify/alipay`);
    expect(target.searchParams.get('return_url')).toBe(`${url}/return/alipay`);

    const appPay = await post(`orderId=${order.id}&provider=alipay&channel=app`, 'application/x-www-form-urlencoded');
    expect(appPay.body).toMatchObject({ type: 'app', provider: 'alipay' });
    expect(new URLSearchParams(appPay.body.params.orderString).get('method')).toBe('alipay.trade.app.pay');

    expect(await post({ orderId: order.id, provider: 'paypal' })).toMatchObject({
      status: 404,
      body: { error: { code: 'PROVIDER_UNKNOWN' } },
    });
    expect(await post({ orderId: 'nope', provider: 'alipay' })).toMatchObject({
      status: 404,
      body: { error: { code: 'ORDER_NOT_FOUND' } },
    });
    expect(await post({ orderId: 'bad id', provider: 'alipay' })).toMatchObject({
      status: 400,
      body: { error: { code: 'ORDER_ID_INVALID', message: expect.stringMatching(/printable ASCII/) } },
    });
    // An id Alipay's out_trade_no cannot carry is paid under a derived trade number.
    const odd = shop.addOrder({ id: 'bad#id', amount: 100 });
    const derived = await post({ orderId: odd.id, provider: 'alipay' });
    expect(derived.status).toBe(200);
    expect(JSON.parse(new URL(derived.body.url).searchParams.get('biz_content')!).out_trade_no).toMatch(
      /^P[0-9a-f]{22}$/,
    );
    expect(await post({ orderId: order.id, provider: 'alipay', channel: 'pc' })).toMatchObject({ status: 400 });
    expect(await post({ orderId: order.id, provider: 'alipay', amount: 1 })).toMatchObject({ status: 200 });
    expect(await post('{"orderId":', 'application/json')).toMatchObject({
      status: 400,
      body: { error: { message: expect.stringMatching(/JSON/) } },
    });
    expect(await post('x', 'text/plain')).toMatchObject({ status: 415 });

    const paid = shop.addOrder({ amount: 1, status: 'paid' });
    expect(await post({ orderId: paid.id, provider: 'alipay' })).toMatchObject({
      status: 409,
      body: { error: { code: 'ORDER_PAID' } },
    });
    const expired = shop.addOrder({ amount: 1, expiresAt: new Date(Date.now() - 1000) });
    expect(await post({ orderId: expired.id, provider: 'alipay' })).toMatchObject({
      status: 409,
      body: { error: { code: 'ORDER_EXPIRED' } },
    });
    const fractional = shop.addOrder({ amount: 12.5 });
    expect(await post({ orderId: fractional.id, provider: 'alipay' })).toMatchObject({
      status: 500,
      body: { error: { message: expect.stringMatching(/integers of fen/) } },
    });
  });

  it('refuses checkout when authorizeCheckout says no, exactly as for an unknown order', async () => {
    const { url, shop } = await app({ authorizeCheckout: () => false });
    const order = shop.addOrder({ amount: 100, subject: 'Secret gift for Alice' });
    const post = async (orderId: string) => {
      const res = await fetch(`${url}/checkout`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ orderId, provider: 'alipay' }),
      });
      return { status: res.status, body: ((await res.json()) as { error: { code: string; message: string } }).error };
    };
    const refused = await post(order.id);
    const unknown = await post('NO-SUCH-ORDER');
    expect(refused.status).toBe(404);
    expect({ ...refused.body, message: refused.body.message.replace(order.id, 'X') }).toEqual({
      ...unknown.body,
      message: unknown.body.message.replace('NO-SUCH-ORDER', 'X'),
    });
    expect(JSON.stringify(refused)).not.toMatch(/Secret/);
    const link = await fetch(`${url}/checkout/alipay?orderId=${order.id}`, { redirect: 'manual' });
    expect(link.status).toBe(404);
    expect(await link.text()).not.toMatch(/Secret|authorizeCheckout/);
  });

  it('redirects a checkout link to the cashier, or posts a form in POST mode', async () => {
    const { url, shop } = await app();
    const order = shop.addOrder({ amount: 100 });
    const res = await fetch(`${url}/checkout/alipay?orderId=${order.id}`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toMatch(/^https:\/\/openapi-sandbox\.dl\.alipaydev\.com\/gateway\.do\?/);
  });

  it('shows the result page from the store, never from the URL', async () => {
    const { url, shop } = await app();
    const order = shop.addOrder({ amount: 100 });
    const english = { headers: { 'accept-language': 'en' } };
    const page = await (await fetch(`${url}/result?orderId=${order.id}&provider=alipay&outcome=paid`, english)).text();
    expect(page).toMatch(/Waiting for the payment/);
    expect(await (await fetch(`${url}/result?orderId=%3Cscript%3E&provider=alipay`)).text()).not.toMatch(/<script>/);
  });
});

describe('fetch adapter', () => {
  it('serves the router from a Web Request and falls back for other paths', async () => {
    const shop = createShop();
    const payments = createPayments({
      publicUrl: 'https://shop.example.com/pay',
      providers: { alipay: fixtureAlipay() },
      ...shop.hooks,
      logger: false,
      store: memoryStore(),
    });
    const handler = fetchPayments(payments, { prefix: '/pay' });
    const order = shop.addOrder({ amount: 100 });
    const res = await handler(
      new Request('https://shop.example.com/pay/checkout', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ orderId: order.id, provider: 'alipay' }),
      }),
    );
    expect(res.status).toBe(200);
    expect((await res.json()).type).toBe('redirect');
    expect((await handler(new Request('https://shop.example.com/other'))).status).toBe(404);
    const big = await handler(
      new Request('https://shop.example.com/pay/notify/alipay', { method: 'POST', body: 'a'.repeat(70_000) }),
    );
    expect([big.status, await big.text()]).toEqual([413, 'fail']);
  });
});
