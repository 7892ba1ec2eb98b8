import { describe, expect, it } from 'vitest';
import { alipay, createPayments, type PaymentsOptions } from '../src/index.js';
import type { CoreRequest } from '../src/spi/types.js';
import { alipayOptions, alipayPaid, formBody, signAlipay, type Pairs } from './helpers/provider-messages.js';
import { createShop } from './helpers/shop.js';

/**
 * Once-only fulfilment (docs/state.md, docs/after-payment.md): verified Alipay notifies, signed by
 * the test's own signer, handed to the router in process. What the shop sees is asserted: the
 * `onPaid` and `onMismatch` calls, and the answer the provider gets.
 */
function setup(options: Partial<PaymentsOptions> = {}) {
  const shop = createShop();
  const warnings: string[] = [];
  const errors: string[] = [];
  const payments = createPayments({
    publicUrl: 'https://shop.example.com/pay',
    providers: { alipay: alipay(alipayOptions()) },
    ...shop.hooks,
    logger: { warn: (m: string) => void warnings.push(m), error: (m: string) => void errors.push(m), info: () => {} },
    ...options,
  });
  const notify = async (pairs: Pairs) => {
    const req: CoreRequest = {
      method: 'POST',
      path: '/notify/alipay',
      query: new URLSearchParams(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      rawBody: Buffer.from(formBody(signAlipay(pairs))),
    };
    const res = await payments.handle(req);
    return { status: res?.status, body: String(res?.body) };
  };
  return { shop, payments, notify, warnings, errors };
}

/** A paid notify for trade `tradeNo` (the order id) under Alipay trade `tradeId`, changed by `changes`. */
function paid(tradeNo: string, tradeId: string, yuan: string, changes: Record<string, string | undefined> = {}) {
  let pairs = alipayPaid(tradeNo, tradeId, yuan);
  for (const [key, value] of Object.entries(changes)) {
    pairs = pairs.filter(([k]) => k !== key);
    if (value !== undefined) pairs.push([key, value]);
  }
  return pairs;
}

describe('fulfil', () => {
  it('calls onPaid once with the facts of the verified payment; a repeat is acknowledged', async () => {
    const { shop, notify } = setup();
    const order = shop.addOrder({ amount: 8888 });
    expect(await notify(paid(order.id, '2026112922001400001', '88.88'))).toEqual({ status: 200, body: 'success' });
    expect(await notify(paid(order.id, '2026112922001400001', '88.88'))).toEqual({ status: 200, body: 'success' });
    expect(shop.paid).toEqual([
      {
        provider: 'alipay',
        channel: undefined,
        orderId: order.id,
        transactionId: '2026112922001400001',
        amount: 8888,
        currency: 'CNY',
        paidAt: new Date('2026-11-29T09:50:12Z'),
        payer: '2088102177846880',
        raw: expect.objectContaining({ trade_no: '2026112922001400001' }) as unknown,
        idempotencyKey: 'alipay:2026112922001400001',
      },
    ]);
    expect(shop.mismatches).toEqual([]);
  });

  it('refuses a payment of another amount, and one for an order getOrder does not know', async () => {
    const { shop, notify, warnings } = setup();
    const order = shop.addOrder({ amount: 8888 });
    expect(await notify(paid(order.id, '2026112922001400002', '88.87'))).toEqual({ status: 409, body: 'fail' });
    expect(shop.mismatches).toEqual([
      expect.objectContaining({
        provider: 'alipay',
        orderId: order.id,
        transactionId: '2026112922001400002',
        reason: 'amount',
        expected: 8888,
        actual: 8887,
        message: `order ${order.id}: the provider reports 8887 fen paid, the order is 8888 fen`,
      }),
    ]);
    expect(await notify(paid('T404', '2026112922001400003', '1.00'))).toEqual({ status: 404, body: 'fail' });
    expect(shop.mismatches[1]).toMatchObject({
      reason: 'unknown_order',
      orderId: 'T404',
      transactionId: '2026112922001400003',
      message: 'order T404 is unknown to getOrder',
    });
    expect(warnings.some((w) => w.includes('is unknown to getOrder'))).toBe(true);
    expect(shop.paid).toEqual([]);
  });

  it('refuses a verified payment for another seller, before loading the order', async () => {
    const { shop, notify } = setup();
    const order = shop.addOrder({ amount: 8888 });
    const foreign = paid(order.id, '2026112922001400004', '88.88', { seller_id: '2088000000000000' });
    expect(await notify(foreign)).toEqual({ status: 409, body: 'fail' });
    expect(shop.mismatches).toEqual([
      expect.objectContaining({ reason: 'merchant', orderId: order.id, transactionId: '2026112922001400004' }),
    ]);
    expect(shop.paid).toEqual([]);
  });

  it('asks for a retry when onPaid throws, and fulfils on the retry', async () => {
    const { shop, notify, errors } = setup();
    const order = shop.addOrder({ amount: 8888 });
    shop.failOnPaid(1);
    expect(await notify(paid(order.id, '2026112922001400005', '88.88'))).toEqual({ status: 500, body: 'fail' });
    expect(errors).toEqual([expect.stringContaining('onPaid threw for alipay:2026112922001400005')]);
    expect(await notify(paid(order.id, '2026112922001400005', '88.88'))).toEqual({ status: 200, body: 'success' });
    expect(shop.paid).toHaveLength(1);
    expect(await notify(paid(order.id, '2026112922001400005', '88.88'))).toEqual({ status: 200, body: 'success' });
    expect(shop.paid).toHaveLength(1);
  });

  it('reports a second transaction for a paid order with duplicateOf, and says to refund one', async () => {
    const { shop, notify, warnings } = setup();
    const order = shop.addOrder({ amount: 8888 });
    await notify(paid(order.id, '2026112922001400006', '88.88'));
    expect(await notify(paid(order.id, '2026112922001400007', '88.88'))).toEqual({ status: 200, body: 'success' });
    expect(shop.paid.map((p) => p.duplicateOf)).toEqual([
      undefined,
      { provider: 'alipay', transactionId: '2026112922001400006' },
    ]);
    expect(shop.paid[0]).not.toHaveProperty('duplicateOf');
    expect(warnings).toContain(
      `order ${order.id} was paid twice: alipay 2026112922001400007 after alipay 2026112922001400006; refund one of them`,
    );
    // A repeat of the second payment is a duplicate, not a third onPaid.
    expect(await notify(paid(order.id, '2026112922001400007', '88.88'))).toEqual({ status: 200, body: 'success' });
    expect(shop.paid).toHaveLength(2);
  });

  it("with duplicatePayments 'refund', keeps asking for a retry while the refund cannot be made", async () => {
    const { shop, notify, warnings, errors } = setup({ duplicatePayments: 'refund' });
    const order = shop.addOrder({ amount: 8888 });
    await notify(paid(order.id, '2026112922001400008', '88.88'));
    // The gateway is a closed local port: the refund of the second payment fails.
    expect(await notify(paid(order.id, '2026112922001400009', '88.88'))).toEqual({ status: 503, body: 'fail' });
    expect(warnings.some((w) => w.endsWith('; refunding the second payment'))).toBe(true);
    expect(errors.some((e) => e.startsWith('could not refund the double payment alipay 2026112922001400009'))).toBe(
      true,
    );
    expect(shop.paid).toHaveLength(2);
    // The retry tries the refund again (still failing), without a second onPaid.
    errors.length = 0;
    expect(await notify(paid(order.id, '2026112922001400009', '88.88'))).toEqual({ status: 503, body: 'fail' });
    expect(errors.some((e) => e.startsWith('could not refund the double payment'))).toBe(true);
    expect(shop.paid).toHaveLength(2);
    // The first payment is no double payment: its repeat is acknowledged.
    expect(await notify(paid(order.id, '2026112922001400008', '88.88'))).toEqual({ status: 200, body: 'success' });
  });
});
