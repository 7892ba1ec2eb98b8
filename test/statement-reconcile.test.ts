import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  alipay,
  createPayments,
  memoryStore,
  unionpay,
  wechatpay,
  type Payments,
  type PaymentStore,
  type ReconcileReport,
} from '../src/index.js';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import { createShop, startApp, type RunningApp, type TestShop } from './helpers/shop.js';
import {
  beijingDayFromToday,
  deadShop,
  payAndWait,
  payInApp,
  refundAndWait,
  testClock,
  until,
} from './helpers/statement-day.js';

/**
 * `payments.reconcile` over days the sandbox really had: a clean day of payments and refunds
 * reconciles to nothing, and on the next day a payment whose notify went to a shop that was down,
 * a refund made in the merchant platform, and an order whose amount changed after it was paid are
 * each reported once; `settle` fulfils the lost payment and reports the refund once however often it
 * runs. Both paymount instances share one store, as a shop's instances do.
 */

const otherMerchantDay = beijingDayFromToday(-4);
const cleanDay = beijingDayFromToday(-2);
const day = beijingDayFromToday(-1);
const today = beijingDayFromToday(0);
const clock = testClock(new Date(`${cleanDay}T09:30:00+08:00`));
const providers = ['alipay', 'wechatpay', 'unionpay'] as const;
type ProviderId = (typeof providers)[number];

let sandbox: Sandbox;
let shop: TestShop;
let store: PaymentStore;
const apps: RunningApp[] = [];
let down: Awaited<ReturnType<typeof deadShop>>;
/** The instance whose notifies arrive. */
let payments: Payments;
/** An instance whose public URL is a shop that is down: its checkouts' notifies are lost. */
let lost: Payments;
/** An instance under another WeChat Pay merchant (the sandbox's v2 one), sharing the store. */
let otherMerchant: Payments;

const run = Date.now().toString(36).toUpperCase();
const id = (provider: ProviderId, name: string) => `${provider[0]!.toUpperCase()}${name}${run}`;
const later = () => clock.advance(7 * 60_000);

function create(publicUrl: string, wechatpayOptions = sandbox.wechatpay): Payments {
  return createPayments({
    publicUrl,
    providers: {
      alipay: alipay(sandbox.alipay),
      wechatpay: wechatpay(wechatpayOptions),
      unionpay: unionpay(sandbox.unionpay),
    },
    ...shop.hooks,
    store,
    clock,
    logger: false,
    newTradeNumbers: false,
  });
}

/** A refund made in the merchant platform, whose notify (if any) goes to the shop that is down. */
function platformRefund(provider: ProviderId, orderId: string, refundId: string, amount: number): void {
  const sim = sandbox.simulators;
  if (provider === 'alipay')
    sim.alipay.platformRefund({ outTradeNo: orderId, outRequestNo: refundId, amount, notifyUrl: down.url });
  else if (provider === 'wechatpay') {
    const { mchId } = sandbox.wechatpay;
    sim.wechatpay.platformRefund({ mchId, outTradeNo: orderId, outRefundNo: refundId, amount, notifyUrl: down.url });
  } else sim.unionpay.platformRefund({ orderId, refundOrderId: refundId, amount });
}

beforeAll(async () => {
  sandbox = await startSandbox({ clock, timeScale: 0.001 });
  shop = createShop();
  store = memoryStore();
  down = await deadShop();
  const app = await startApp('express');
  apps.push(app);
  payments = create(app.publicUrl);
  app.use(payments);
  lost = create(down.url);
  const other = await startApp('express');
  apps.push(other);
  otherMerchant = create(other.publicUrl, sandbox.wechatpayV2);
  other.use(otherMerchant);

  // A payment fulfilled under another merchant account: the first merchant's statement lacks it.
  clock.at(otherMerchantDay, '11:00');
  shop.addOrder({ id: `WOTHER${run}`, amount: 3300 });
  await payAndWait(sandbox, otherMerchant, shop, 'wechatpay', `WOTHER${run}`);

  clock.at(cleanDay, '09:30');

  // The clean day: payments, a partial and a full refund, all notified.
  for (const provider of providers) {
    shop.addOrder({ id: id(provider, 'C1'), amount: 12800 });
    shop.addOrder({ id: id(provider, 'C2'), amount: 990 });
    await payAndWait(sandbox, payments, shop, provider, id(provider, 'C1'));
    later();
    await payAndWait(sandbox, payments, shop, provider, id(provider, 'C2'));
    later();
    await refundAndWait(payments, shop, provider, id(provider, 'C1'), `R${id(provider, 'C1')}`, 300);
    later();
    await refundAndWait(payments, shop, provider, id(provider, 'C2'), `R${id(provider, 'C2')}`, 990);
  }

  // The next day: one payment as it should be, and the three differences.
  clock.at(day, '09:30');
  for (const provider of providers) {
    shop.addOrder({ id: id(provider, 'OK'), amount: 2500 });
    shop.addOrder({ id: id(provider, 'LOST'), amount: 4200 });
    shop.addOrder({ id: id(provider, 'EDIT'), amount: 5000 });
    await payAndWait(sandbox, payments, shop, provider, id(provider, 'OK'));
    later();
    const hits = down.hits;
    await payInApp(sandbox, lost, provider, id(provider, 'LOST'));
    later();
    await payInApp(sandbox, lost, provider, id(provider, 'EDIT'));
    await until(() => down.hits >= hits + 2, `the lost notifies of ${provider}`);
    // The shop edits the order after it was paid: the provider took 50.00, the order now says 55.00.
    shop.orders.get(id(provider, 'EDIT'))!.amount = 5500;
    later();
    platformRefund(provider, id(provider, 'OK'), `PR${id(provider, 'OK')}`, 700);
    later();
  }
  clock.at(today, '10:30');
}, 120_000);

afterAll(async () => {
  await sandbox.close();
  for (const app of apps) await app.close();
  await down.close();
});

const onPaidOf = (orderId: string) => shop.paid.filter((p) => p.orderId === orderId).length;
const onRefundedOf = (refundId: string) => shop.refunds.filter((r) => r.refundId === refundId).length;

function differences(report: ReconcileReport) {
  const { unfulfilled, missing, amountDifferences, unknownRefunds } = report.summary;
  return { unfulfilled, missing, amountDifferences, unknownRefunds };
}

describe.each(providers)('payments.reconcile at %s', (provider) => {
  it('finds no difference on a day whose notifies all arrived', async () => {
    const report = await payments.reconcile(provider, cleanDay);
    expect(differences(report)).toEqual({ unfulfilled: 0, missing: 0, amountDifferences: 0, unknownRefunds: 0 });
    expect(report.summary).toMatchObject({ rows: 4, payments: 2, refunds: 2, matched: 4 });
  });

  it('reports the lost payment, the platform refund and the changed amount, once each', async () => {
    const report = await payments.reconcile(provider, day);
    expect(differences(report)).toEqual({ unfulfilled: 1, missing: 0, amountDifferences: 1, unknownRefunds: 1 });
    expect(report.unfulfilled[0]).toMatchObject({ orderId: id(provider, 'LOST'), tradeNo: id(provider, 'LOST') });
    expect(report.unfulfilled[0]).toMatchObject({ amount: 4200 });
    expect(report.unfulfilled[0]!.settled).toBeUndefined();
    expect(report.amountDifferences).toEqual([
      expect.objectContaining({
        kind: 'payment',
        orderId: id(provider, 'EDIT'),
        statement: 5000,
        recorded: 5500,
        recordedBy: 'order',
      }),
    ]);
    expect(report.unknownRefunds).toEqual([
      expect.objectContaining({ orderId: id(provider, 'OK'), refundId: `PR${id(provider, 'OK')}`, amount: 700 }),
    ]);
    // Without settle nothing was done.
    expect(onPaidOf(id(provider, 'LOST'))).toBe(0);
    expect(onRefundedOf(`PR${id(provider, 'OK')}`)).toBe(0);
  });

  it('settles: fulfils the lost payment and reports the refund, once however often it runs', async () => {
    const first = await payments.reconcile(provider, day, { settle: true });
    expect(first.unfulfilled[0]).toMatchObject({ orderId: id(provider, 'LOST'), settled: 'fulfilled' });
    expect(first.unknownRefunds[0]).toMatchObject({ settled: 'recorded' });
    expect(first.summary).toMatchObject({ fulfilled: 1, refundsRecorded: 1 });
    expect(shop.paid.find((p) => p.orderId === id(provider, 'LOST'))).toMatchObject({ amount: 4200 });
    expect(shop.refunds.find((r) => r.refundId === `PR${id(provider, 'OK')}`)).toMatchObject({
      orderId: id(provider, 'OK'),
      amount: 700,
      status: 'success',
    });

    // Another instance runs the same job: the records are there now, nothing happens twice.
    const second = await lost.reconcile(provider, day, { settle: true });
    expect(differences(second)).toEqual({ unfulfilled: 0, missing: 0, amountDifferences: 1, unknownRefunds: 0 });
    expect(second.summary).toMatchObject({ fulfilled: 0, refundsRecorded: 0 });
    expect(onPaidOf(id(provider, 'LOST'))).toBe(1);
    expect(onRefundedOf(`PR${id(provider, 'OK')}`)).toBe(1);
    // The changed order is not fulfilled: its amount is the host's to settle.
    expect(onPaidOf(id(provider, 'EDIT'))).toBe(0);
  });
});

describe('payments.reconcile, a payment fulfilled that the statement lacks', () => {
  it('reports it as missing, with paymount’s record, and settles nothing for it', async () => {
    const report = await payments.reconcile('wechatpay', otherMerchantDay, { settle: true });
    expect(differences(report)).toEqual({ unfulfilled: 0, missing: 1, amountDifferences: 0, unknownRefunds: 0 });
    expect(report.missing[0]).toMatchObject({ orderId: `WOTHER${run}`, tradeNo: `WOTHER${run}`, amount: 3300 });
    expect(report.missing[0]!.transactionId).toBe(shop.paid.find((p) => p.orderId === `WOTHER${run}`)!.transactionId);
    // The merchant that took it lists it: nothing is missing there.
    const own = await otherMerchant.reconcile('wechatpay', otherMerchantDay);
    expect(differences(own)).toEqual({ unfulfilled: 0, missing: 0, amountDifferences: 0, unknownRefunds: 0 });
    expect(onPaidOf(`WOTHER${run}`)).toBe(1);
  });
});

describe('payments.reconcile, the same differences settled by two runs at once', () => {
  it('never fulfils twice', async () => {
    const orderId = 'ATWICE' + run;
    shop.addOrder({ id: orderId, amount: 1200 });
    clock.at(day, '21:00');
    await payInApp(sandbox, lost, 'alipay', orderId);
    clock.at(today, '10:30');
    const [a, b] = await Promise.all([
      payments.reconcile('alipay', day, { settle: true }),
      lost.reconcile('alipay', day, { settle: true }),
    ]);
    // A run that read the statement after the other fulfilled it finds it matched; one that read it
    // before finds it unfulfilled, and the notify's once-only path answers `already`.
    const outcomes = [a, b].flatMap((r) => r.unfulfilled.filter((p) => p.orderId === orderId).map((p) => p.settled));
    expect(outcomes.filter((o) => o === 'fulfilled')).toHaveLength(1);
    expect(outcomes.filter((o) => o !== 'fulfilled' && o !== 'already')).toEqual([]);
    expect(onPaidOf(orderId)).toBe(1);
  });
});
