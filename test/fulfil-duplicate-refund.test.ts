import { describe, expect, it } from 'vitest';
import { alipay, createPayments, memoryStore, type ProviderDefinition } from '../src/index.js';
import type { ProviderRefundInput } from '../src/spi/provider.js';
import { alipayNotifier } from './helpers/alipay-notifier.js';
import { alipayOptions } from './helpers/provider-messages.js';
import { createShop } from './helpers/shop.js';

/**
 * The automatic refund of a double payment (`duplicatePayments: 'refund'`, docs/after-payment.md,
 * "Paid twice") that fails is tried again when the next copy of the same notify arrives, and once
 * the provider accepted it, never again. Verified Alipay notifies are handed to the router in
 * process; Alipay's refund call is the provider's own, except that it throws the first `failures`
 * times (the gateway unreachable) and then accepts, so that how often it is asked can be counted.
 */
function withRefund(definition: ProviderDefinition, failures: number) {
  const calls: ProviderRefundInput[] = [];
  let left = failures;
  const provider: ProviderDefinition = {
    id: definition.id,
    live: definition.live,
    setup(env) {
      const inner = definition.setup(env);
      return {
        ...inner,
        async refund(input) {
          calls.push(input);
          if (left-- > 0) throw new Error('connect ECONNREFUSED 127.0.0.1:9');
          return { refundId: input.refundId, amount: input.amount, status: 'success', raw: { fund_change: 'Y' } };
        },
      };
    },
  };
  return { provider, calls };
}

function setup(failures: number) {
  const shop = createShop();
  const errors: string[] = [];
  const { provider, calls } = withRefund(alipay(alipayOptions()), failures);
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
