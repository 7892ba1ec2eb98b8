import { afterEach, describe, expect, it } from 'vitest';
import { createPayments } from '../src/index.js';
import { createShop, startApp, type AppOptions, type Framework, type RunningApp } from './helpers/shop.js';
import {
  ALIPAY_CONTENT_TYPE,
  APP_ID,
  SELLER_ID,
  fixtureAlipay,
  formBody,
  notifyFields,
  signNotify,
} from './helpers/alipay-notify.js';

/**
 * Alipay notify handling through real Express and Koa apps, with notifies signed by the frozen
 * "Alipay" key: verification, business checks, dedupe, acks, and the raw-body policy.
 */
const running: RunningApp[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((app) => app.close()));
});

async function setup(framework: Framework, options: AppOptions = {}) {
  const app = await startApp(framework, options);
  running.push(app);
  const shop = createShop();
  const warnings: string[] = [];
  const logger = { warn: (m: string) => void warnings.push(m), error: () => {} };
  app.use(
    createPayments({
      publicUrl: app.publicUrl,
      providers: { alipay: fixtureAlipay() },
      ...shop.hooks,
      publicCheckout: true,
      logger,
    }),
  );
  const post = (body: string, contentType = ALIPAY_CONTENT_TYPE) =>
    fetch(`${app.publicUrl}/notify/alipay`, { method: 'POST', headers: { 'content-type': contentType }, body }).then(
      async (r) => ({ status: r.status, text: await r.text() }),
    );
  return { app, shop, post, warnings };
}

for (const framework of ['express', 'koa'] as const) {
  describe(`Alipay notify on ${framework}`, () => {
    it('verifies, fulfils once with fen amounts, and acks exactly "success"', async () => {
      const { shop, post } = await setup(framework);
      const order = shop.addOrder({ amount: 8888 });
      const body = formBody(signNotify(notifyFields(order.id, '88.88')));
      expect(await post(body)).toEqual({ status: 200, text: 'success' });
      expect(await post(body)).toEqual({ status: 200, text: 'success' });
      expect(shop.paid).toHaveLength(1);
      const paid = shop.paid[0]!;
      expect(paid).toMatchObject({
        provider: 'alipay',
        orderId: order.id,
        amount: 8888,
        currency: 'CNY',
        payer: '2088102177846880',
      });
      expect(typeof paid.transactionId).toBe('string');
      expect(paid.idempotencyKey).toBe(`alipay:${paid.transactionId}`);
      expect(paid.paidAt.toISOString()).toBe('2024-05-13T09:50:12.000Z');
      expect(paid.raw.passback_params).toBe('a%3Db%26c%3Dd');
      // Hooks get the notify's fields as a plain object, as JSON.parse or a spread would give them.
      expect(Object.getPrototypeOf(paid.raw)).toBe(Object.prototype);
    });

    it('refuses forged and altered notifies with 401 "fail" and calls no hook', async () => {
      const { shop, post } = await setup(framework);
      const order = shop.addOrder({ amount: 8888 });
      const other = shop.addOrder({ amount: 8888 });
      const signed = signNotify(notifyFields(order.id, '88.88'));
      const tampered = { ...signed, sign: signed.sign!.slice(0, -8) + 'AAAAAAA=' };
      const withSignType = signNotify(notifyFields(order.id, '88.88'), { includeSignType: true });
      const otherOrder = { ...signed, out_trade_no: other.id };
      for (const fields of [tampered, withSignType, otherOrder]) {
        expect(await post(formBody(fields))).toEqual({ status: 401, text: 'fail' });
      }
      expect(await post(formBody({ ...signed, sign: '' }))).toEqual({ status: 400, text: 'fail' });
      expect(shop.paid).toHaveLength(0);
      expect(shop.mismatches).toHaveLength(0);
    });

    it('refuses a verified notify for another app, a wrong amount or an unknown order, and reports it', async () => {
      const { shop, post } = await setup(framework);
      const order = shop.addOrder({ amount: 8888 });
      expect(await post(formBody(signNotify(notifyFields(order.id, '88.88', { app_id: '2021000000000009' }))))).toEqual(
        { status: 409, text: 'fail' },
      );
      expect(
        await post(formBody(signNotify(notifyFields(order.id, '88.88', { seller_id: '2088000000000001' })))),
      ).toEqual({ status: 409, text: 'fail' });
      expect(await post(formBody(signNotify(notifyFields(order.id, '0.01'))))).toEqual({ status: 409, text: 'fail' });
      expect(await post(formBody(signNotify(notifyFields('NO-SUCH-ORDER', '88.88'))))).toEqual({
        status: 404,
        text: 'fail',
      });
      expect(shop.paid).toHaveLength(0);
      expect(shop.mismatches.map((m) => m.reason)).toEqual(['app', 'merchant', 'amount', 'unknown_order']);
      expect(shop.mismatches[2]).toMatchObject({ expected: 8888, actual: 1 });
    });

    it('runs onPaid once for 20 concurrent copies of one notify', async () => {
      const { shop, post } = await setup(framework);
      const order = shop.addOrder({ amount: 100 });
      const body = formBody(signNotify(notifyFields(order.id, '1.00')));
      const answers = await Promise.all(Array.from({ length: 20 }, () => post(body)));
      expect(answers.every((a) => a.status === 200 && a.text === 'success')).toBe(true);
      expect(shop.paid).toHaveLength(1);
    });

    it('asks for a retry when onPaid throws, and fulfils on the retry', async () => {
      const { shop, post } = await setup(framework);
      const order = shop.addOrder({ amount: 100 });
      const body = formBody(signNotify(notifyFields(order.id, '1.00')));
      shop.failOnPaid(1);
      expect(await post(body)).toEqual({ status: 500, text: 'fail' });
      expect(shop.paid).toHaveLength(0);
      expect(await post(body)).toEqual({ status: 200, text: 'success' });
      expect(shop.paid).toHaveLength(1);
    });

    it('treats closed and waiting trades as acknowledged without fulfilment', async () => {
      const { shop, post } = await setup(framework);
      const order = shop.addOrder({ amount: 100 });
      expect(
        await post(formBody(signNotify(notifyFields(order.id, '1.00', { trade_status: 'WAIT_BUYER_PAY' })))),
      ).toEqual({ status: 200, text: 'success' });
      expect(
        await post(formBody(signNotify(notifyFields(order.id, '1.00', { trade_status: 'TRADE_CLOSED' })))),
      ).toEqual({ status: 200, text: 'success' });
      expect(shop.paid).toHaveLength(0);
      expect(shop.closed).toHaveLength(1);
    });

    it('answers malformed, oversized and empty bodies with a 4xx "fail"', async () => {
      const { shop, post } = await setup(framework);
      const order = shop.addOrder({ amount: 100 });
      const body = formBody(signNotify(notifyFields(order.id, '1.00')));
      expect(await post(`${body}&total_amount=1.00`)).toEqual({ status: 400, text: 'fail' });
      expect(await post(`${body}&x=%E0%A4%A`)).toEqual({ status: 400, text: 'fail' });
      expect(await post('')).toEqual({ status: 400, text: 'fail' });
      expect(await post(`${body}&pad=${'a'.repeat(70 * 1024)}`)).toEqual({ status: 413, text: 'fail' });
      expect(shop.paid).toHaveLength(0);
    });

    it('still verifies behind a urlencoded body parser', async () => {
      const { shop, post } = await setup(framework, { parserFirst: 'both' });
      const order = shop.addOrder({ amount: 8888 });
      const body = formBody(signNotify(notifyFields(order.id, '88.88')));
      expect(await post(body, 'application/x-www-form-urlencoded')).toEqual({ status: 200, text: 'success' });
      expect(shop.paid).toHaveLength(1);
    });

    it('names the fix when a middleware consumed the body first', async () => {
      const { app, shop, warnings } = await setup(framework, { parserFirst: 'discard' });
      const order = shop.addOrder({ amount: 8888 });
      const res = await fetch(`${app.publicUrl}/notify/alipay`, {
        method: 'POST',
        headers: { 'content-type': ALIPAY_CONTENT_TYPE },
        body: formBody(signNotify(notifyFields(order.id, '88.88'))),
      });
      expect(res.status).toBe(400);
      expect(await res.text()).toBe('fail');
      expect(shop.paid).toHaveLength(0);
      expect(warnings.join('\n')).toMatch(/consumed before paymount.*mount paymount before express\.json\(\)/);
    });

    it('leaves other methods and paths to the host', async () => {
      const { app } = await setup(framework);
      for (const [method, path] of [
        ['GET', '/notify/alipay'],
        ['HEAD', '/checkout/alipay'],
        ['OPTIONS', '/notify/alipay'],
        ['POST', '/nope'],
        ['POST', '/notify/alipay/x/y'],
      ] as const) {
        const res = await fetch(`${app.publicUrl}${path}`, { method });
        expect(res.status, `${method} ${path}`).toBe(404);
        if (method !== 'HEAD') expect(await res.text()).toBe('host 404');
      }
    });
  });
}

it('refuses a verified return for another app with 409', async () => {
  const { app, shop } = await setup('express');
  const order = shop.addOrder({ amount: 100 });
  const fields = signNotify({
    app_id: '2021000000000009',
    charset: 'utf-8',
    method: 'alipay.trade.wap.pay.return',
    out_trade_no: order.id,
    seller_id: SELLER_ID,
    timestamp: '2024-05-13 17:50:15',
    total_amount: '1.00',
    trade_no: '2024051322001446880500000001',
    version: '1.0',
  });
  const res = await fetch(`${app.publicUrl}/return/alipay?${new URLSearchParams(fields)}`, { redirect: 'manual' });
  expect(res.status).toBe(409);
  // The buyer's page names no internals; the reason is in the log under the page's reference.
  expect(await res.text()).not.toMatch(/2021000000000009/);
  expect(shop.paid).toHaveLength(0);
});

it('uses the fixture ids the notifies are signed for', () => {
  expect([APP_ID, SELLER_ID]).toEqual(['2021000122671080', '2088102177296610']);
});
