import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryStore } from '../src/index.js';
import {
  acknowledged,
  attempts,
  closeSites,
  newOrderId,
  payInApp,
  startSite,
  startWorld,
  until,
  wapCashier,
  type Site,
  type World,
} from './helpers/after-payment.js';

/**
 * One order, one outcome (docs/after-payment.md, "Closed after paid"): a verified close notice
 * about an order that is paid — by another attempt or another provider — never reaches
 * `onClosed`, and a close notice reaches it once however many copies arrive. Played over real
 * HTTP: the sandbox closes the trade and delivers its signed TRADE_CLOSED notify to a real
 * Express or Koa app.
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

/** Opens the Alipay cashier of the order (the trade now exists at Alipay) and leaves it: an abandoned attempt. */
async function abandonAlipay(site: Site, orderId: string): Promise<string> {
  await wapCashier(site, 'alipay', orderId);
  const { current } = await attempts(site, 'alipay', orderId);
  expect(world.sandbox.simulators.alipay.trades.get(current)?.status).toBe('WAIT_BUYER_PAY');
  return current;
}

/** Alipay closes the abandoned trade; resolves with the notify's delivery once the shop answered it. */
async function alipayCloses(site: Site, orderId: string, tradeNo: string) {
  await site.payments.close('alipay', orderId);
  expect(world.sandbox.simulators.alipay.trades.get(tradeNo)?.status).toBe('TRADE_CLOSED');
  const delivery = await acknowledged(world, 'alipay', tradeNo, 'close');
  // Alipay's exact success ack, on the first attempt: the notice is not retried.
  expect(delivery.attempts.map((a) => [a.status, a.body])).toEqual([[200, 'success']]);
  return delivery;
}

describe.each(['express', 'koa'] as const)('one order, one outcome on %s', (framework) => {
  it('paid through WeChat Pay, then Alipay closes the abandoned Alipay attempt: no onClosed, "success"', async () => {
    // A shop whose getOrder does not say "paid" (it keeps that elsewhere): only paymount's own
    // record of the payment tells the close notice apart from a real close.
    const site = await startSite(world, framework);
    const { getOrder } = site.shop.hooks;
    site.restart({
      getOrder: async (id, ctx) => {
        const order = await getOrder(id, ctx);
        if (!order) return null;
        const { status: _status, ...rest } = order;
        return rest;
      },
    });
    const orderId = site.shop.addOrder({ id: newOrderId(), amount: 1290 }).id;
    const alipayTrade = await abandonAlipay(site, orderId);
    const wechatTrade = await payInApp(world, site, 'wechatpay', orderId);
    await acknowledged(world, 'wechatpay', wechatTrade);
    expect(site.shop.paid.map((p) => p.provider)).toEqual(['wechatpay']);

    await alipayCloses(site, orderId, alipayTrade);
    expect(site.shop.closed).toEqual([]);
    expect(site.shop.mismatches).toEqual([]);
  });

  it('after a restart on a fresh memory store, getOrder saying "paid" is enough: no onClosed', async () => {
    const site = await startSite(world, framework);
    const orderId = site.shop.addOrder({ id: newOrderId(), amount: 990 }).id;
    const alipayTrade = await abandonAlipay(site, orderId);
    const wechatTrade = await payInApp(world, site, 'wechatpay', orderId);
    await acknowledged(world, 'wechatpay', wechatTrade);
    expect(site.shop.orders.get(orderId)?.status).toBe('paid');

    // The process restarted with the default memory store: paymount remembers nothing of the
    // order, the shop's getOrder still says it is paid. The close is made by the buyer's
    // earlier session timing out at Alipay; here the old instance asks for it before going away.
    const old = site.payments;
    site.restart({ store: memoryStore() });
    await old.close('alipay', orderId);
    const delivery = await acknowledged(world, 'alipay', alipayTrade, 'close');
    expect(delivery.attempts.map((a) => [a.status, a.body])).toEqual([[200, 'success']]);
    expect(site.shop.closed).toEqual([]);
  });

  it('one signed close notice sent 5 times (one delivery, then 4 copies at once) → onClosed once', async () => {
    const site = await startSite(world, framework);
    const orderId = site.shop.addOrder({ id: newOrderId(), amount: 500 }).id;
    const tradeNo = await abandonAlipay(site, orderId);
    await alipayCloses(site, orderId, tradeNo);
    await until(() => site.shop.closed.length === 1, 'onClosed');
    expect(site.shop.closed[0]).toMatchObject({ provider: 'alipay', orderId, reason: 'TRADE_CLOSED' });

    const notice = site.notifies('alipay').find((r) => r.body.toString().includes('TRADE_CLOSED'));
    expect(notice).toBeDefined();
    const answers = await Promise.all(Array.from({ length: 4 }, () => site.replay(notice!)));
    expect(answers).toEqual(Array(4).fill({ status: 200, body: 'success' }));
    expect(site.shop.closed).toHaveLength(1);
  });
});
