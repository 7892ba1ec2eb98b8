import { describe, expect, it } from 'vitest';
import { createPayments, memoryStore, type PaymentsOptions } from '../src/index.js';
import { alipayNotifier, alipayWithRefunds } from './helpers/alipay-notifier.js';
import { createShop, type TestShop } from './helpers/shop.js';

/**
 * Copies of one payment's notify (docs/state.md#locks): providers send a notify again until it is
 * acknowledged, and may send copies at the same time. However they arrive, `onPaid` runs once per
 * transaction, and a copy retried after `onPaid` failed is the order's first payment, not a
 * double payment of itself. Verified Alipay notifies are handed to the router in process.
 */
function setup({ shop = createShop(), ...options }: Partial<PaymentsOptions> & { shop?: TestShop } = {}) {
  const { provider, calls } = alipayWithRefunds();
  const payments = createPayments({
    publicUrl: 'https://shop.example.com/pay',
    providers: { alipay: provider },
    ...shop.hooks,
    store: memoryStore(),
    logger: false,
    ...options,
  });
  const notify = alipayNotifier(payments);
  return { shop, notify, refunds: () => calls.map((call) => call.transactionId) };
}

describe('copies of one payment notify', () => {
  it('5 copies at once: onPaid once, every copy acknowledged', async () => {
    const { shop, notify } = setup();
    const order = shop.addOrder({ amount: 8888 });
    const answers = await Promise.all(Array.from({ length: 5 }, () => notify(order.id, '2026112922001400301')));
    expect(answers).toEqual(Array(5).fill({ status: 200, body: 'success' }));
    expect(shop.paid.map((p) => p.transactionId)).toEqual(['2026112922001400301']);
  });

  it("the retry after onPaid failed is the order's first payment: no duplicateOf, no refund", async () => {
    const { shop, notify, refunds } = setup({ duplicatePayments: 'refund' });
    const order = shop.addOrder({ amount: 8888 });
    shop.failOnPaid(1);
    expect(await notify(order.id, '2026112922001400302')).toEqual({ status: 500, body: 'fail' });
    expect(await notify(order.id, '2026112922001400302')).toEqual({ status: 200, body: 'success' });
    expect(shop.paid).toHaveLength(1);
    expect(shop.paid[0]).not.toHaveProperty('duplicateOf');
    expect(refunds()).toEqual([]);
    // A real second payment of the order still names this one, and only it is refunded.
    expect(await notify(order.id, '2026112922001400303')).toEqual({ status: 200, body: 'success' });
    expect(shop.paid[1]?.duplicateOf).toEqual({ provider: 'alipay', transactionId: '2026112922001400302' });
    expect(refunds()).toEqual(['2026112922001400303']);
  });

  it('a slow onPaid holds only its own payment: a copy of it is asked to retry, another payment is fulfilled', async () => {
    let entered!: () => void;
    const inOnPaid = new Promise<void>((resolve) => (entered = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const slow = '2026112922001400304';
    const shop = createShop();
    const { notify } = setup({
      shop,
      // A copy waits this long for the lock before it is answered "retry later".
      lockWaitMs: 300,
      onPaid: async (event, ctx) => {
        if (event.transactionId === slow) {
          entered();
          await released;
        }
        await shop.hooks.onPaid(event, ctx);
      },
    });
    const one = shop.addOrder({ amount: 8888 });
    const two = shop.addOrder({ amount: 8888 });
    const first = notify(one.id, slow);
    await inOnPaid;

    expect(await notify(two.id, '2026112922001400305')).toEqual({ status: 200, body: 'success' });
    expect(await notify(one.id, slow)).toEqual({ status: 503, body: 'fail' });
    expect(shop.paid.map((p) => p.transactionId)).toEqual(['2026112922001400305']);

    release();
    expect(await first).toEqual({ status: 200, body: 'success' });
    expect(shop.paid.map((p) => p.transactionId)).toEqual(['2026112922001400305', slow]);
  });
});
