import { acpRefundOrderId } from '../src/providers/unionpay/refunds.js';
import { describe, expect, it } from 'vitest';
import { createPayments, type CoreRequest, type Payments } from '../src/index.js';
import { formBody } from './helpers/signing.js';
import { unionpay } from '../src/index.js';
import { createShop, type TestShop } from './helpers/shop.js';
import {
  CLOCK,
  fixtureOptions,
  fixtureSigner,
  MER_ID,
  opensslNotify,
  paymentNotify,
  signAsUnionpay,
} from './fixtures/unionpay/helpers.js';

const FORM = { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' };

function setup(): { shop: TestShop; payments: Payments } {
  const shop = createShop();
  const payments = createPayments({
    publicUrl: 'https://shop.example.com/pay',
    providers: { unionpay: unionpay(fixtureOptions()) },
    ...shop.hooks,
    clock: () => CLOCK,
    logger: false,
  });
  return { shop, payments };
}

function post(path: string, body: string, query = '', headers: Record<string, string> = FORM): CoreRequest {
  return { method: 'POST', path, query: new URLSearchParams(query), headers, rawBody: Buffer.from(body) };
}

async function notify(payments: Payments, fields: Record<string, string>, query = '', path = '/notify/unionpay') {
  const res = await payments.handle(post(path, formBody(fields), query));
  if (!res) throw new Error('route not matched');
  return res;
}

describe('unionpay notify route', () => {
  it('fulfils the openssl-signed notify once and answers 200 ok', async () => {
    const { shop, payments } = setup();
    shop.addOrder({ id: 'T20261125120000a1', amount: 1234 });
    const first = await notify(payments, opensslNotify());
    expect(first.status).toBe(200);
    expect(first.body).toBe('ok');
    const again = await notify(payments, opensslNotify());
    expect(again.status).toBe(200);
    expect(shop.paid).toHaveLength(1);
    const paid = shop.paid[0]!;
    expect(paid.transactionId).toBe('782611252000000674028');
    expect(paid.amount).toBe(1234);
    expect(paid.idempotencyKey).toBe('unionpay:782611252000000674028');
    expect(paid.paidAt.toISOString()).toBe('2026-11-25T12:03:12.000Z');
  });

  it('ignores a query string on the notify URL (never merged into the signed fields)', async () => {
    const { shop, payments } = setup();
    shop.addOrder({ id: 'T20261125120000a1', amount: 1234 });
    const res = await notify(payments, opensslNotify(), 'orderId=T99999999&txnAmt=1&respCode=00');
    expect(res.status).toBe(200);
    expect(shop.paid).toHaveLength(1);
    expect(shop.paid[0]!.raw).not.toHaveProperty('txnAmt', '1');
  });

  it('rejects a tampered notify with 401 and calls no hook', async () => {
    const { shop, payments } = setup();
    shop.addOrder({ id: 'T20261125120000a1', amount: 1234 });
    const res = await notify(payments, { ...opensslNotify(), respCode: 'A6', queryId: '782611252000000674029' });
    expect(res.status).toBe(401);
    expect(String(res.body)).toMatch(/^fail: /);
    expect(shop.paid).toHaveLength(0);
    expect(shop.mismatches).toHaveLength(0);
  });

  it('refuses a verified notify for another merId', async () => {
    const { shop, payments } = setup();
    shop.addOrder({ id: 'T2027030100001', amount: 100 });
    const res = await notify(
      payments,
      signAsUnionpay(paymentNotify('T2027030100001', 100, { merId: '777290058199999' }), fixtureSigner()),
    );
    expect(res.status).toBe(409);
    expect(shop.paid).toHaveLength(0);
    expect(shop.mismatches).toMatchObject([{ reason: 'merchant', expected: MER_ID, actual: '777290058199999' }]);
  });

  it('refuses a verified notify whose txnAmt is not the order amount', async () => {
    const { shop, payments } = setup();
    shop.addOrder({ id: 'T2027030100001', amount: 100 });
    const res = await notify(payments, signAsUnionpay(paymentNotify('T2027030100001', 1), fixtureSigner()));
    expect(res.status).toBe(409);
    expect(shop.paid).toHaveLength(0);
    expect(shop.mismatches).toMatchObject([{ reason: 'amount', expected: 100, actual: 1 }]);
  });

  it('reports a failed payment notify as closed, and A6 as paid', async () => {
    const { shop, payments } = setup();
    shop.addOrder({ id: 'T2027030100001', amount: 100 });
    shop.addOrder({ id: 'T2027030100002', amount: 100 });
    const failed = await notify(
      payments,
      signAsUnionpay(
        paymentNotify('T2027030100001', 100, { respCode: '61', respMsg: '余额不足[6100000]' }),
        fixtureSigner(),
      ),
    );
    expect(failed.status).toBe(200);
    expect(shop.closed).toMatchObject([{ orderId: 'T2027030100001' }]);
    const a6 = await notify(
      payments,
      signAsUnionpay(
        paymentNotify('T2027030100002', 100, { respCode: 'A6', queryId: '782703011200000674029' }),
        fixtureSigner(),
      ),
    );
    expect(a6.status).toBe(200);
    expect(shop.paid).toMatchObject([{ orderId: 'T2027030100002', transactionId: '782703011200000674029' }]);
  });

  it('answers malformed, empty and non-form bodies with a 4xx and no hook', async () => {
    const { shop, payments } = setup();
    expect((await payments.handle(post('/notify/unionpay', '%zz=1')))!.status).toBe(400);
    expect((await payments.handle(post('/notify/unionpay', '')))!.status).toBe(400);
    expect(
      (await payments.handle(post('/notify/unionpay', '{"a":1}', '', { 'content-type': 'application/json' })))!.status,
    ).toBe(415);
    expect((await payments.handle(post('/notify/unionpay', 'a=1&a=2')))!.status).toBe(400);
    expect(shop.paid).toHaveLength(0);
  });

  it('maps a refund notify back to its order through reqReserved, and refuses one it cannot map', async () => {
    const { shop, payments } = setup();
    shop.addOrder({ id: 'T2027030100001', amount: 100 });
    const refund = (extra: Record<string, string>) =>
      signAsUnionpay(
        paymentNotify(acpRefundOrderId('T2027030100001', 'R2027030100009'), 40, {
          txnType: '04',
          txnSubType: '00',
          queryId: '792703011300000674030',
          origQryId: '782703011200000674028',
          ...extra,
        }),
        fixtureSigner(),
      );
    const ok = await notify(
      payments,
      refund({ reqReserved: 'T2027030100001|R2027030100009' }),
      '',
      '/notify/unionpay/refund',
    );
    expect(ok.status).toBe(200);
    expect(shop.refunds).toMatchObject([
      {
        orderId: 'T2027030100001',
        refundId: 'R2027030100009',
        amount: 40,
        status: 'success',
        providerRefundId: '792703011300000674030',
      },
    ]);
    // reqReserved naming another refund id than the notify's orderId is not trusted.
    const forged = await notify(
      payments,
      refund({ reqReserved: 'T2027030100001|R2027030100008' }),
      '',
      '/notify/unionpay/refund',
    );
    expect(forged.status).toBe(404);
    expect(shop.refunds).toHaveLength(1);
  });
});

describe('unionpay return route', () => {
  it('never fulfils from a return, and treats a failure code as final', async () => {
    const { shop, payments } = setup();
    shop.addOrder({ id: 'T2027030100001', amount: 100 });
    const failed = await payments.handle(
      post(
        '/return/unionpay',
        formBody(signAsUnionpay(paymentNotify('T2027030100001', 100, { respCode: '01' }), fixtureSigner())),
      ),
    );
    expect(failed!.status).toBe(302);
    expect(shop.paid).toHaveLength(0);
    const tampered = await payments.handle(
      post('/return/unionpay', formBody({ ...opensslNotify(), orderId: 'T2027030100001' })),
    );
    expect(tampered!.status).toBe(401);
    const get = await payments.handle({
      method: 'GET',
      path: '/return/unionpay',
      query: new URLSearchParams('orderId=T2027030100001'),
      headers: {},
    });
    expect(get!.status).toBe(400);
  });
});
