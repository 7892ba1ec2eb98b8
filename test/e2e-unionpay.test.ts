import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPayments, ProviderError, unionpay, type Payments, type UnionpayOptions } from '../src/index.js';
import { formBody } from './helpers/signing.js';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import { acpRefundOrderId } from '../src/providers/unionpay/refunds.js';
import { parseForms, type HtmlForm } from './helpers/html-form.js';
import { createShop, startApp, type Framework, type RunningApp, type TestShop } from './helpers/shop.js';
import { ownUnionpaySimulator } from './helpers/unionpay-simulator.js';

/**
 * UnionPay end to end: paymount mounted in real Express and Koa apps, the sandbox's simulated
 * gateway on 127.0.0.1, the buyer played by submitting the HTML forms a browser would submit.
 */

let sandbox: Sandbox;
let counter = 0;

beforeAll(async () => {
  sandbox = await startSandbox({ timeScale: 0.0005 });
});
afterAll(async () => {
  await sandbox?.close();
});

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

function orderId(): string {
  return `U${Date.now()}${String(++counter).padStart(4, '0')}`;
}

async function postForm(url: string, fields: Record<string, string>): Promise<Response> {
  return fetch(url, { method: 'POST', headers: FORM, body: formBody(fields), redirect: 'manual' });
}

function onlyForm(html: string, base: string): HtmlForm {
  const forms = parseForms(html, base);
  expect(forms).toHaveLength(1);
  return forms[0]!;
}

interface World {
  app: RunningApp;
  shop: TestShop;
  payments: Payments;
}

async function world(framework: Framework, options: UnionpayOptions = sandbox.unionpay): Promise<World> {
  const app = await startApp(framework);
  const shop = createShop();
  const payments = createPayments({
    publicUrl: app.publicUrl,
    providers: { unionpay: unionpay(options) },
    ...shop.hooks,
    logger: false,
  });
  app.use(payments);
  return { app, shop, payments };
}

/** Browser: the checkout link, the auto-submitted form, and the cashier page with its buttons. */
async function openCashier(w: World, id: string): Promise<{ cashier: HtmlForm; request: HtmlForm }> {
  const link = `${w.app.publicUrl}/checkout/unionpay?orderId=${id}`;
  const page = await fetch(link);
  expect(page.status).toBe(200);
  const request = onlyForm(await page.text(), link);
  expect(request.action).toBe(`${sandbox.unionpay.gateway}/gateway/api/frontTransReq.do`);
  expect(request.fields).toMatchObject({
    txnType: '01',
    channelType: '08',
    bizType: '000201',
    orderId: id,
    version: '5.1.0',
    signMethod: '01',
  });
  expect(request.fields.txnTime).toMatch(/^\d{14}$/);
  const res = await postForm(request.action, request.fields);
  const html = await res.text();
  expect(res.status, html).toBe(200);
  const cashier = onlyForm(html, request.action);
  expect(cashier.action).toBe(`${sandbox.unionpay.gateway}/cashier`);
  expect(cashier.buttons).toEqual(expect.arrayContaining(['pay', 'fail', 'abandon']));
  return { cashier, request };
}

/** The buyer presses a cashier button; answers the signed result form that goes back to frontUrl. */
async function press(cashier: HtmlForm, action: 'pay' | 'fail'): Promise<HtmlForm> {
  const res = await postForm(cashier.action, { ...cashier.fields, action });
  const html = await res.text();
  expect(res.status, html).toBe(200);
  return onlyForm(html, cashier.action);
}

async function appTn(w: World, id: string): Promise<{ tn: string; mode: string }> {
  const res = await fetch(`${w.app.publicUrl}/checkout`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ orderId: id, provider: 'unionpay', channel: 'app' }),
  });
  const body = (await res.json()) as { type: string; provider: string; params: { tn: string; mode: string } };
  expect(res.status, JSON.stringify(body)).toBe(200);
  expect(body).toMatchObject({ type: 'app', provider: 'unionpay', params: { mode: '01' } });
  expect(body.params.tn).toMatch(/^\d{21}$/);
  return body.params;
}

async function appControl(params: { tn: string; mode: string }, action: 'pay' | 'fail' | 'cancel'): Promise<string> {
  const res = await fetch(`${sandbox.unionpay.gateway}/app/pay`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ params, action }),
  });
  const body = (await res.json()) as { pay_result?: string };
  return body.pay_result ?? '';
}

const paymentDelivery = (id: string) => sandbox.waitForDelivery((d) => d.orderId === id && d.kind === 'payment');

describe.each<Framework>(['express', 'koa'])('unionpay through %s and the sandbox', (framework) => {
  let w: World;
  beforeAll(async () => {
    w = await world(framework);
  });
  afterAll(async () => {
    await w?.app.close();
  });

  it('WAP: checkout page → cashier → pay → back notify + front return → onPaid once', async () => {
    const order = w.shop.addOrder({ id: orderId(), amount: 1234, expiresAt: new Date(Date.now() + 15 * 60_000) });
    const { cashier, request } = await openCashier(w, order.id);
    expect(request.fields.payTimeout).toMatch(/^\d{14}$/);
    const result = await press(cashier, 'pay');
    expect(result.action).toBe(`${w.app.publicUrl}/return/unionpay`);
    expect(result.fields.signPubKeyCert).toContain('\r\n');

    const back = await postForm(result.action, result.fields);
    expect(back.status).toBe(302);
    const delivery = await paymentDelivery(order.id);
    expect(delivery.acknowledged).toBe(true);
    expect(delivery.attempts.at(-1)).toMatchObject({ status: 200, body: 'ok' });

    expect(w.shop.paid).toEqual([expect.objectContaining({ orderId: order.id, amount: 1234, provider: 'unionpay' })]);
    expect(w.shop.paid[0]!.transactionId).toMatch(/^\d{21}$/);
    expect(await w.payments.query('unionpay', order.id)).toMatchObject({
      status: 'paid',
      transactionId: w.shop.paid[0]!.transactionId,
      amount: 1234,
    });
    w.shop.paid.length = 0;
  });

  it('WAP failure: the failed front return settles nothing and no notify comes', async () => {
    const order = w.shop.addOrder({ id: orderId(), amount: 800 });
    const { cashier } = await openCashier(w, order.id);
    const result = await press(cashier, 'fail');
    expect(result.fields.respCode).not.toBe('00');
    const back = await postForm(result.action, result.fields);
    expect(back.status).toBe(302);
    expect(w.shop.paid).toHaveLength(0);
    expect(sandbox.deliveries.some((d) => d.orderId === order.id)).toBe(false);
    expect(await w.payments.query('unionpay', order.id)).toMatchObject({ status: 'closed' });
  });

  it('APP: tn → app control pay → back notify → onPaid once', async () => {
    const order = w.shop.addOrder({ id: orderId(), amount: 2000 });
    const params = await appTn(w, order.id);
    // The app asking again the same day gets the same tn (a second appTransReq would be a duplicate orderId).
    expect(await appTn(w, order.id)).toEqual(params);
    expect(await w.payments.query('unionpay', order.id)).toMatchObject({ status: 'not_found' });
    expect(await appControl(params, 'pay')).toBe('success');
    const delivery = await paymentDelivery(order.id);
    expect(delivery.acknowledged).toBe(true);
    expect(w.shop.paid).toEqual([expect.objectContaining({ orderId: order.id, amount: 2000 })]);
    expect(await w.payments.settle('unionpay', order.id)).toBe('paid');
    expect(w.shop.paid).toHaveLength(1);
    w.shop.paid.length = 0;
  });

  it('20 concurrent copies of one notify (with a query string on the URL) → onPaid once', async () => {
    const order = w.shop.addOrder({ id: orderId(), amount: 990 });
    const { cashier } = await openCashier(w, order.id);
    // The signed result the cashier posts back carries the same signed fields as the back notify.
    const result = await press(cashier, 'pay');
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        postForm(`${w.app.publicUrl}/notify/unionpay?source=copy&txnAmt=1`, result.fields).then(
          async (r) => [r.status, await r.text()] as const,
        ),
      ),
    );
    for (const [status, text] of answers)
      (expect([200, 503]).toContain(status), expect(text === 'ok' || text.startsWith('fail')).toBe(true));
    expect(answers.filter(([s]) => s === 200).length).toBeGreaterThan(0);
    await paymentDelivery(order.id);
    expect(w.shop.paid.filter((p) => p.orderId === order.id)).toHaveLength(1);
    w.shop.paid.length = 0;
  });

  it('partial refund (04) and full same-day cancel (31) → onRefunded', async () => {
    const refundable = w.shop.addOrder({ id: orderId(), amount: 3000 });
    const cancellable = w.shop.addOrder({ id: orderId(), amount: 1500 });
    for (const order of [refundable, cancellable]) {
      expect(await appControl(await appTn(w, order.id), 'pay')).toBe('success');
      await paymentDelivery(order.id);
    }
    const partial = await w.payments.refund({
      provider: 'unionpay',
      orderId: refundable.id,
      refundId: `R${refundable.id}`,
      amount: 1000,
    });
    expect(partial).toMatchObject({ status: 'processing', refundId: `R${refundable.id}`, amount: 1000 });
    const full = await w.payments.refund({
      provider: 'unionpay',
      orderId: cancellable.id,
      refundId: 'cancel_1',
      amount: 1500,
    });
    expect(full.status).toBe('processing');

    await sandbox.waitForDelivery(
      (d) => d.kind === 'refund' && d.orderId === acpRefundOrderId(refundable.id, `R${refundable.id}`),
    );
    const cancelDelivery = await sandbox.waitForDelivery(
      (d) =>
        d.kind === 'cancel' &&
        d.url.endsWith('/notify/unionpay/refund') &&
        d.acknowledged &&
        w.shop.refunds.some((r) => r.orderId === cancellable.id),
    );
    expect(cancelDelivery.acknowledged).toBe(true);

    expect(w.shop.refunds).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          orderId: refundable.id,
          refundId: `R${refundable.id}`,
          amount: 1000,
          status: 'success',
        }),
        expect.objectContaining({ orderId: cancellable.id, refundId: 'cancel_1', amount: 1500, status: 'success' }),
      ]),
    );
    const cancelRaw = w.shop.refunds.find((r) => r.orderId === cancellable.id)!.raw;
    expect(cancelRaw.txnType).toBe('31');
    expect(w.shop.refunds.find((r) => r.orderId === refundable.id)!.raw.txnType).toBe('04');
    // Asking again reports the same final result and calls no hook twice.
    expect(await w.payments.queryRefund('unionpay', refundable.id, `R${refundable.id}`)).toMatchObject({
      status: 'success',
      amount: 1000,
    });
    expect(w.shop.refunds.filter((r) => r.orderId === refundable.id)).toHaveLength(1);
    // The same refundId again is not a second refund.
    expect(
      await w.payments.refund({
        provider: 'unionpay',
        orderId: refundable.id,
        refundId: `R${refundable.id}`,
        amount: 1000,
      }),
    ).toMatchObject({ status: 'success' });
    expect(
      sandbox.deliveries.filter((d) => d.orderId === acpRefundOrderId(refundable.id, `R${refundable.id}`)),
    ).toHaveLength(1);
  });
});

describe('unionpay sandbox details', () => {
  it('works with the legacy-layout pfx options', async () => {
    const w = await world('express', sandbox.unionpayLegacyPfx);
    try {
      const order = w.shop.addOrder({ id: orderId(), amount: 321 });
      expect(await appControl(await appTn(w, order.id), 'pay')).toBe('success');
      await paymentDelivery(order.id);
      expect(w.shop.paid).toEqual([expect.objectContaining({ orderId: order.id, amount: 321 })]);
    } finally {
      await w.app.close();
    }
  });

  it('still verifies notifies when the host parsed the form first', async () => {
    const app = await startApp('express', { parserFirst: 'urlencoded' });
    const shop = createShop();
    app.use(
      createPayments({
        publicUrl: app.publicUrl,
        providers: { unionpay: unionpay(sandbox.unionpay) },
        ...shop.hooks,
        logger: false,
      }),
    );
    try {
      const order = shop.addOrder({ id: orderId(), amount: 555 });
      const w: World = { app, shop, payments: undefined as never };
      expect(await appControl(await appTn(w, order.id), 'pay')).toBe('success');
      const delivery = await paymentDelivery(order.id);
      expect(delivery.acknowledged).toBe(true);
      expect(shop.paid).toHaveLength(1);
    } finally {
      await app.close();
    }
  });

  it('turns gateway failures into ProviderErrors: refused tn, failed query', async () => {
    const own = await ownUnionpaySimulator();
    const sim = own.sim;
    const w = await world('koa', sim.options);
    try {
      const order = w.shop.addOrder({ id: orderId(), amount: 100 });
      sim.inject('01', '61', '超过金额限制[6100000]');
      const res = await fetch(`${w.app.publicUrl}/checkout`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ orderId: order.id, provider: 'unionpay', channel: 'app' }),
      });
      expect(res.status).toBe(502);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('PROVIDER_REJECTED');
      expect(body.error.message).toMatch(/61 超过金额限制\[6100000\]/);

      const paid = w.shop.addOrder({ id: orderId(), amount: 100 });
      await appTn(w, paid.id);
      sim.inject('00', '06', '系统繁忙[0600000]');
      const error = await w.payments.query('unionpay', paid.id).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ProviderError);
      expect(error).toMatchObject({
        code: 'PROVIDER_REJECTED',
        providerCode: '06',
        subCode: '0600000',
        retryable: true,
      });
    } finally {
      await w.app.close();
      await own.close();
    }
  });

  it('checks out an order id UnionPay cannot take under a derived trade number', async () => {
    const w = await world('express');
    try {
      w.shop.addOrder({ id: 'order_1', amount: 100 });
      const res = await fetch(`${w.app.publicUrl}/checkout/unionpay?orderId=order_1`);
      expect(res.status).toBe(200);
      const form = parseForms(await res.text(), res.url)[0]!;
      expect(form.fields.orderId).toMatch(/^P[0-9a-f]{22}$/);
    } finally {
      await w.app.close();
    }
  });
});
