import { describe, expect, it } from 'vitest';
import { fetchPayments } from '../adapters/fetch.js';
import { createPayments, memoryStore, type PaymentStore } from '../src/index.js';
import { ALIPAY_CONTENT_TYPE, fixtureAlipay, formBody, notifyFields, signNotify } from './helpers/alipay-notify.js';
import { createShop } from './helpers/shop.js';
import { storeOver } from './helpers/store-over.js';

/**
 * The last check before `onPaid` (docs/state.md#locks): a copy whose process stalled for longer
 * than `lockTtlMs` after it took the lock may have lost it to another instance, and must then not
 * call `onPaid`. A stall is a blocked event loop (no renewal can run), here inside the store call
 * that claims the order, the last one before that check.
 */

const LOCK_TTL_MS = 1000;

/** Blocks the event loop for `ms`, as a long synchronous task in the host application would. */
function block(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

/**
 * The memory store, except that the order's claim first blocks for `stallMs`; with `takeOver`, a
 * second instance sharing the store then takes the payment's lock, which has expired by then.
 */
function stallingStore(stallMs: number, takeOver: boolean) {
  const inner = memoryStore();
  const calls = { expireIfEquals: 0 };
  let lockKey: string | undefined;
  const store = storeOver(inner, {
    async setIfAbsent(key, value, ttlMs) {
      if (key.includes(':lock:paid:')) lockKey = key;
      if (key.includes(':paid-order:')) {
        block(stallMs);
        if (takeOver) expect(await inner.setIfAbsent(lockKey!, 'another-instance', 30_000)).toBe(true);
      }
      return inner.setIfAbsent(key, value, ttlMs);
    },
    expireIfEquals(key, value, ttlMs) {
      calls.expireIfEquals++;
      return inner.expireIfEquals(key, value, ttlMs);
    },
  });
  return { store, calls };
}

async function notifyOnce(store: PaymentStore) {
  const shop = createShop();
  const order = shop.addOrder({ amount: 8888 });
  const payments = createPayments({
    ...shop.hooks,
    store,
    lockTtlMs: LOCK_TTL_MS,
    publicUrl: 'https://shop.example.com/pay',
    providers: { alipay: fixtureAlipay() },
    logger: false,
  });
  const res = await fetchPayments(payments, { prefix: '/pay' })(
    new Request('https://shop.example.com/pay/notify/alipay', {
      method: 'POST',
      headers: { 'content-type': ALIPAY_CONTENT_TYPE },
      body: formBody(signNotify(notifyFields(order.id, '88.88'))),
    }),
  );
  return { status: res.status, body: await res.text(), paid: shop.paid.length };
}

describe('the lock check right before onPaid', () => {
  it('a copy stalled past lockTtlMs whose lock another instance took calls no onPaid and asks for a retry', async () => {
    const { store } = stallingStore(LOCK_TTL_MS * 1.3, true);
    const answer = await notifyOnce(store);
    expect(answer).toMatchObject({ status: 503, paid: 0 });
    expect(answer.body).not.toBe('success');
  });

  it('a copy stalled past half of lockTtlMs asks the store, still holds its lock, and fulfils', async () => {
    const { store, calls } = stallingStore(LOCK_TTL_MS * 0.6, false);
    expect(await notifyOnce(store)).toEqual({ status: 200, body: 'success', paid: 1 });
    expect(calls.expireIfEquals).toBe(1);
  });

  it('a copy that did not stall fulfils without asking the store again', async () => {
    const { store, calls } = stallingStore(0, false);
    expect(await notifyOnce(store)).toEqual({ status: 200, body: 'success', paid: 1 });
    expect(calls.expireIfEquals).toBe(0);
  });
});
