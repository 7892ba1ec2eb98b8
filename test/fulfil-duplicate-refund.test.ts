import { describe, expect, it } from 'vitest';
import { createPayments, memoryStore } from '../src/index.js';
import { alipayNotifier, alipayWithRefunds } from './helpers/alipay-notifier.js';
import { createShop } from './helpers/shop.js';

/**
 * The automatic refund of a double payment (`duplicatePayments: 'refund'`, docs/after-payment.md,
 * "Paid twice") that fails is tried again when the next copy of the same notify arrives, and once
 * the provider accepted it, never again. Verified Alipay notifies are handed to the router in
 * process; Alipay's refund call throws the first `failures` times, then accepts, and is counted.
 */
function setup(failures: number) {
  const shop = createShop();
  const errors: string[] = [];
  const { provider, calls } = alipayWithRefunds(failures);
  const payments = createPayments({
    publicUrl: 'https://shop.example.com/pay',
    providers: { alipay: provider },
    ...shop.hooks,
    store: memoryStore(),
    duplicatePayments: 'refund',
    logger: { warn: () => {}, error: (m: string) => void errors.push(m), info: () => {} },
  });
  const notify = alipayNotifier(payments);
  return { shop, notify, calls, errors };
}

const FIRST = '2026112922001400101';
const SECOND = '2026112922001400102';

describe('the refund of a double payment', () => {
  it('fails once, is made by the next copy of the notify, and exactly once', async () => {
    const { shop, notify, calls, errors } = setup(1);
    const order = shop.addOrder({ amount: 8888 });
    expect(await notify(order.id, FIRST)).toEqual({ status: 200, body: 'success' });
    expect(calls).toEqual([]);

    // The second payment is fulfilled (onPaid with duplicateOf), its refund fails: Alipay is asked to retry.
    expect(await notify(order.id, SECOND)).toEqual({ status: 503, body: 'fail' });
    expect(shop.paid.map((p) => [p.transactionId, p.duplicateOf?.transactionId])).toEqual([
      [FIRST, undefined],
      [SECOND, FIRST],
    ]);
    expect(calls).toHaveLength(1);
    expect(errors).toEqual([expect.stringContaining(`could not refund the double payment alipay ${SECOND}`)]);
    expect(shop.refunds).toEqual([]);

    // Alipay's retry: the refund is made, without a second onPaid.
    expect(await notify(order.id, SECOND)).toEqual({ status: 200, body: 'success' });
    expect(calls).toHaveLength(2);
    expect(calls[1]).toMatchObject({ transactionId: SECOND, amount: 8888, refundId: calls[0]!.refundId });
    expect(shop.paid).toHaveLength(2);
    expect(shop.refunds).toEqual([
      expect.objectContaining({ orderId: order.id, refundId: calls[0]!.refundId, amount: 8888, status: 'success' }),
    ]);

    // Later copies of either payment are acknowledged and refund nothing more.
    expect(await notify(order.id, SECOND)).toEqual({ status: 200, body: 'success' });
    expect(await notify(order.id, FIRST)).toEqual({ status: 200, body: 'success' });
    expect(calls).toHaveLength(2);
    expect(shop.refunds).toHaveLength(1);
    expect(shop.paid).toHaveLength(2);
  });

  it('made at the first try, is not asked again by a later copy', async () => {
    const { shop, notify, calls } = setup(0);
    const order = shop.addOrder({ amount: 8888 });
    expect(await notify(order.id, FIRST)).toEqual({ status: 200, body: 'success' });
    expect(await notify(order.id, SECOND)).toEqual({ status: 200, body: 'success' });
    expect(await notify(order.id, SECOND)).toEqual({ status: 200, body: 'success' });
    expect(calls).toHaveLength(1);
    expect(shop.refunds).toHaveLength(1);
    expect(shop.paid).toHaveLength(2);
  });
});
