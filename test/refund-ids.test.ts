import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PaymountError } from '../src/index.js';
import {
  acknowledged,
  closeSites,
  newOrderId,
  payInApp,
  PROVIDERS,
  startSite,
  startWorld,
  type ProviderName,
  type Site,
  type World,
} from './helpers/after-payment.js';

/**
 * Refund ids (docs/after-payment.md, "Refund ids"): the first use of a refund id binds it to an
 * order and an amount. `refund({ refundId: 'R1', amount: 500 })` after R1 refunded 300 fen is
 * refused with `REFUND_ID_CONFLICT` by paymount itself, for every provider, before any gateway
 * call: the calls are counted at the tap in front of the sandbox. (Left to the providers, UnionPay
 * would answer the first refund's result as if it were the new one.)
 */

let world: World;
// Generating the sandbox's keys takes a while on a loaded machine.
beforeAll(async () => {
  world = await startWorld();
}, 120_000);
afterAll(async () => {
  await closeSites();
  await world.close();
});

/** Fen refunded of a trade, as the sandbox's books say. */
function refundedAt(site: Site, provider: ProviderName, tradeNo: string): number {
  const { alipay, wechatpay, unionpay } = world.sandbox.simulators;
  if (provider === 'alipay') return Math.round(Number(alipay.trades.get(tradeNo)!.refunded) * 100);
  if (provider === 'wechatpay') {
    return wechatpay.trade(site.wechatpayMchId, tradeNo)!.refunds.reduce((sum, r) => sum + r.amount, 0);
  }
  return unionpay.payment(tradeNo)!.backs.reduce((sum, b) => sum + b.txnAmt, 0);
}

/** An order of 1000 fen paid in the provider's app; answers its id and trade number. */
async function paidOrder(site: Site, provider: ProviderName): Promise<{ orderId: string; tradeNo: string }> {
  const orderId = site.shop.addOrder({ id: newOrderId('RF'), amount: 1000 }).id;
  const tradeNo = await payInApp(world, site, provider, orderId);
  await acknowledged(world, provider, tradeNo);
  return { orderId, tradeNo };
}

async function refusal(promise: Promise<unknown>): Promise<PaymountError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PaymountError);
  return error as PaymountError;
}

describe.each(PROVIDERS.map((provider, i) => ({ provider, framework: i % 2 ? 'koa' : 'express' }) as const))(
  '$provider refund ids (on $framework)',
  ({ provider, framework }) => {
    it('R1 for 500 fen after R1 refunded 300: REFUND_ID_CONFLICT, nothing sent; R1 for 300 again: once', async () => {
      const site = await startSite(world, framework);
      const { orderId, tradeNo } = await paidOrder(site, provider);
      const first = await site.payments.refund({ provider, orderId, refundId: 'R1', amount: 300 });
      expect(first).toMatchObject({ provider, orderId, refundId: 'R1', amount: 300 });
      expect(refundedAt(site, provider, tradeNo)).toBe(300);

      const sent = world.tap.count({ provider });
      const conflict = await refusal(site.payments.refund({ provider, orderId, refundId: 'R1', amount: 500 }));
      expect(conflict.code).toBe('REFUND_ID_CONFLICT');
      expect(conflict.message).toContain('300');
      expect(world.tap.count({ provider })).toBe(sent);
      expect(refundedAt(site, provider, tradeNo)).toBe(300);

      // Another order may not take R1 either (the id names one refund of one order).
      const second = await paidOrder(site, provider);
      const sentBefore = world.tap.count({ provider });
      const elsewhere = await refusal(
        site.payments.refund({ provider, orderId: second.orderId, refundId: 'R1', amount: 300 }),
      );
      expect(elsewhere.code).toBe('REFUND_ID_CONFLICT');
      expect(world.tap.count({ provider })).toBe(sentBefore);
      expect(refundedAt(site, provider, second.tradeNo)).toBe(0);

      // The same refund again (a retry after a timeout) is allowed, and the provider refunds it once.
      const again = await site.payments.refund({ provider, orderId, refundId: 'R1', amount: 300 });
      expect(again).toMatchObject({ refundId: 'R1', amount: 300 });
      expect(refundedAt(site, provider, tradeNo)).toBe(300);

      // A new id for the other 500 fen is a new refund.
      await site.payments.refund({ provider, orderId, refundId: 'R2', amount: 500 });
      expect(refundedAt(site, provider, tradeNo)).toBe(800);
    });
  },
);
