import { describe, expect, it } from 'vitest';
import { createPayments, memoryStore } from '../src/index.js';
import type { EntryKind } from '../src/spi/store.js';
import { alipayNotifier, alipayWithRefunds } from './helpers/alipay-notifier.js';
import { createShop } from './helpers/shop.js';
import { storeOver } from './helpers/store-over.js';

/**
 * What a fulfilled payment leaves in the store for later (docs/state.md): the order's payment that
 * `payments.refund` aims at, and entries written as records, which a bounded store of the host's
 * must never evict before they expire (the `EntryKind` contract: a forgotten payment record means a
 * second `onPaid`, a forgotten refund mark a double payment never refunded). Verified Alipay
 * notifies are handed to the router in process; Alipay's refund call is counted and accepted.
 */
function setup() {
  const shop = createShop();
  const inner = memoryStore();
  const writes: [key: string, kind: EntryKind][] = [];
  const store = storeOver(inner, {
    set(key, value, ttlMs, kind) {
      writes.push([key, kind]);
      return inner.set(key, value, ttlMs, kind);
    },
  });
  const { provider, calls: refunds } = alipayWithRefunds();
  const payments = createPayments({
    publicUrl: 'https://shop.example.com/pay',
    providers: { alipay: provider },
    ...shop.hooks,
    store,
    duplicatePayments: 'refund',
    logger: false,
  });
  const notify = alipayNotifier(payments);
  return { shop, payments, notify, writes, refunds };
}

describe('the records of a fulfilled payment', () => {
  it("payments.refund after the notify refunds the order's payment, with no query to Alipay", async () => {
    const { shop, payments, notify, refunds } = setup();
    const order = shop.addOrder({ amount: 8888 });
    expect(await notify(order.id, '2026112922001400401')).toEqual({ status: 200, body: 'success' });
    // No gateway is reachable: a refund that had to query Alipay for the payment would fail.
    const event = await payments.refund({ provider: 'alipay', orderId: order.id, refundId: 'R1', amount: 1000 });
    expect(event).toMatchObject({ orderId: order.id, refundId: 'R1', amount: 1000, status: 'success' });
    expect(refunds).toEqual([
      expect.objectContaining({ tradeNo: order.id, transactionId: '2026112922001400401', amount: 1000 }),
    ]);
  });

  it("the payment's dedupe record and a double payment's refund marks are written as records", async () => {
    const { shop, notify, writes, refunds } = setup();
    const order = shop.addOrder({ amount: 8888 });
    expect(await notify(order.id, '2026112922001400402')).toEqual({ status: 200, body: 'success' });
    expect(await notify(order.id, '2026112922001400403')).toEqual({ status: 200, body: 'success' });
    expect(refunds).toHaveLength(1);
    // The refund's mark is written twice: pending before the refund is asked for, accepted after.
    expect(writes.filter(([key]) => /^paymount:(paid|dup-refund):/.test(key))).toEqual([
      ['paymount:paid:alipay:2026112922001400402', 'record'],
      ['paymount:paid:alipay:2026112922001400403', 'record'],
      ['paymount:dup-refund:alipay:2026112922001400403', 'record'],
      ['paymount:dup-refund:alipay:2026112922001400403', 'record'],
    ]);
  });
});
