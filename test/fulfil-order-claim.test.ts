import { describe, expect, it } from 'vitest';
import { alipay, createPayments, memoryStore } from '../src/index.js';
import { alipayNotifier } from './helpers/alipay-notifier.js';
import { alipayOptions } from './helpers/provider-messages.js';
import { createShop } from './helpers/shop.js';
import { storeOver } from './helpers/store-over.js';

/**
 * The order's claim (`paymount:paid-order:…`, docs/state.md): the first transaction that pays an
 * order claims it, a later one is a double payment of it. A claim that is gone by the time it is
 * read back (it expired, or the store evicted it under memory pressure, right after the claim by
 * this payment was refused) leaves no first payment to name: this payment is then fulfilled as the
 * order's first, at the first copy of its notify.
 */
function setup() {
  const inner = memoryStore();
  const reads: (string | undefined)[] = [];
  /** When set, the claim of an order is refused and then vanishes, as if it expired in between. */
  let vanishing: string | undefined;
  const store = storeOver(inner, {
    async setIfAbsent(key, value, ttlMs) {
      if (!key.includes(':paid-order:') || vanishing === undefined) return inner.setIfAbsent(key, value, ttlMs);
      const claimed = await inner.setIfAbsent(key, value, ttlMs);
      if (!claimed) await inner.deleteIfEquals(key, vanishing);
      return claimed;
    },
    async get(key) {
      const value = await inner.get(key);
      if (key.includes(':paid-order:')) reads.push(value);
      return value;
    },
  });
  const shop = createShop();
  const payments = createPayments({
    publicUrl: 'https://shop.example.com/pay',
    providers: { alipay: alipay(alipayOptions()) },
    ...shop.hooks,
    store,
    logger: false,
  });
  const notify = alipayNotifier(payments);
  return {
    shop,
    notify,
    reads,
    /** Seeds the order's claim by another transaction, which then vanishes right after it refuses the next one. */
    claimVanishing: async (orderId: string, transactionId: string) => {
      vanishing = JSON.stringify({ provider: 'alipay', transactionId });
      expect(await inner.setIfAbsent(`paymount:paid-order:${orderId}`, vanishing, 60_000)).toBe(true);
    },
  };
}

describe("the order's claim read back", () => {
  it('gone after refusing this payment: the payment is fulfilled as the first, at its first copy', async () => {
    const { shop, notify, reads, claimVanishing } = setup();
    const order = shop.addOrder({ amount: 8888 });
    await claimVanishing(order.id, '2026112922001400201');
    expect(await notify(order.id, '2026112922001400202')).toEqual({ status: 200, body: 'success' });
    // The claim was refused and read back as absent: the path under test was taken.
    expect(reads).toEqual([undefined]);
    expect(shop.paid).toHaveLength(1);
    expect(shop.paid[0]).toMatchObject({ orderId: order.id, transactionId: '2026112922001400202' });
    expect(shop.paid[0]).not.toHaveProperty('duplicateOf');
    expect(shop.mismatches).toEqual([]);
  });

  it('still there: the payment is a double payment of the transaction that claimed the order', async () => {
    const { shop, notify, reads } = setup();
    const order = shop.addOrder({ amount: 8888 });
    expect(await notify(order.id, '2026112922001400203')).toEqual({ status: 200, body: 'success' });
    expect(await notify(order.id, '2026112922001400204')).toEqual({ status: 200, body: 'success' });
    expect(reads).toEqual([JSON.stringify({ provider: 'alipay', transactionId: '2026112922001400203' })]);
    expect(shop.paid.map((p) => p.duplicateOf)).toEqual([
      undefined,
      { provider: 'alipay', transactionId: '2026112922001400203' },
    ]);
  });
});
