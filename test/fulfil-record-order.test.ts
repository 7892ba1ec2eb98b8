import { describe, expect, it } from 'vitest';
import { fetchPayments } from '../adapters/fetch.js';
import { createPayments, memoryStore } from '../src/index.js';
import { ALIPAY_CONTENT_TYPE, fixtureAlipay, formBody, notifyFields, signNotify } from './helpers/alipay-notify.js';
import { createShop } from './helpers/shop.js';
import { storeOver } from './helpers/store-over.js';

/**
 * The payment's dedupe record (`paymount:paid:…`) is written last, once the order's other records
 * are stored (docs/state.md#locks): when writing one of them fails, as when the process is killed
 * there, the payment is not marked done and the provider's retry fulfils it.
 */
describe('the order of the records of a fulfilled payment', () => {
  it('a failure while recording leaves no dedupe record, and the retry calls onPaid again and records it', async () => {
    const inner = memoryStore();
    let failIndex = 1;
    const paidWrites: string[] = [];
    const store = storeOver(inner, {
      set(key, value, ttlMs, kind) {
        if (key.startsWith('paymount:paid:')) paidWrites.push(key);
        return inner.set(key, value, ttlMs, kind);
      },
      async indexAdd(index, member, score, ttlMs) {
        if (failIndex-- > 0) throw new Error('connection reset');
        return inner.indexAdd(index, member, score, ttlMs);
      },
    });
    const shop = createShop();
    const order = shop.addOrder({ amount: 8888 });
    const handler = fetchPayments(
      createPayments({
        ...shop.hooks,
        store,
        publicUrl: 'https://shop.example.com/pay',
        providers: { alipay: fixtureAlipay() },
        logger: false,
      }),
      { prefix: '/pay' },
    );
    const body = formBody(signNotify(notifyFields(order.id, '88.88')));
    const notify = async () => {
      const res = await handler(
        new Request('https://shop.example.com/pay/notify/alipay', {
          method: 'POST',
          headers: { 'content-type': ALIPAY_CONTENT_TYPE },
          body,
        }),
      );
      return { status: res.status, body: await res.text() };
    };

    const first = await notify();
    expect(first.status).toBe(503);
    expect(shop.paid).toHaveLength(1);
    expect(paidWrites).toEqual([]);

    expect(await notify()).toEqual({ status: 200, body: 'success' });
    expect(shop.paid.map((e) => e.idempotencyKey)).toEqual([
      shop.paid[0]!.idempotencyKey,
      shop.paid[0]!.idempotencyKey,
    ]);
    expect(paidWrites).toHaveLength(1);
    // A third copy is a dedupe hit.
    expect(await notify()).toEqual({ status: 200, body: 'success' });
    expect(shop.paid).toHaveLength(2);
  });
});
