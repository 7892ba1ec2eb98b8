import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alipay, createPayments, unionpay, wechatpay, type Payments, type StatementRow } from '../src/index.js';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import { createShop, startApp, type RunningApp, type TestShop } from './helpers/shop.js';
import { beijingDayFromToday, payAndWait, refundAndWait, testClock } from './helpers/statement-day.js';
import { failureOf, rowsOf } from './helpers/statements.js';

/**
 * Statements downloaded over real HTTP from the sandbox, which makes them from its own trades: a
 * morning of app payments and refunds yesterday at each provider, then `payments.statement` today.
 */

const yesterday = beijingDayFromToday(-1);
const today = beijingDayFromToday(0);
const quietDay = beijingDayFromToday(-3);
const clock = testClock(new Date(`${yesterday}T09:30:00+08:00`));

let sandbox: Sandbox;
let shop: TestShop;
const apps: RunningApp[] = [];
let payments: Payments;
let v2: Payments;

async function mount(providers: Parameters<typeof createPayments>[0]['providers']): Promise<Payments> {
  const app = await startApp('express');
  apps.push(app);
  const p = createPayments({
    publicUrl: app.publicUrl,
    providers,
    ...shop.hooks,
    clock,
    logger: false,
    newTradeNumbers: false,
  });
  app.use(p);
  return p;
}

const order = (id: string, amount: number) => shop.addOrder({ id, amount, subject: '龙井茶 250g' });
const later = () => clock.advance(7 * 60_000);

beforeAll(async () => {
  sandbox = await startSandbox({ clock, timeScale: 0.001 });
  shop = createShop();
  payments = await mount({
    alipay: alipay(sandbox.alipay),
    wechatpay: wechatpay(sandbox.wechatpay),
    unionpay: unionpay(sandbox.unionpay),
  });
  v2 = await mount({ wechatpay: wechatpay(sandbox.wechatpayV2) });
  const run = Date.now().toString(36).toUpperCase();
  for (const [provider, prefix] of [
    ['alipay', 'A'],
    ['wechatpay', 'W'],
    ['unionpay', 'U'],
  ] as const) {
    order(`${prefix}1${run}`, 12800);
    order(`${prefix}2${run}`, 990);
    await payAndWait(sandbox, payments, shop, provider, `${prefix}1${run}`);
    later();
    await payAndWait(sandbox, payments, shop, provider, `${prefix}2${run}`);
    later();
    await refundAndWait(payments, shop, provider, `${prefix}1${run}`, `R${prefix}1${run}`, 300);
    later();
    // A full refund on the day of payment: UnionPay sends it as a cancellation (31).
    await refundAndWait(payments, shop, provider, `${prefix}2${run}`, `R${prefix}2${run}`, 990);
    later();
  }
  order(`V1${run}`, 4200);
  await payAndWait(sandbox, v2, shop, 'wechatpay', `V1${run}`);
  clock.at(today, '10:30');
}, 60_000);

afterAll(async () => {
  await sandbox.close();
  for (const app of apps) await app.close();
});

const summary = (rows: StatementRow[]) =>
  rows.map((r) => [r.kind, r.orderId, r.amount, ...(r.kind === 'refund' ? [r.refundId] : [])]);
const ids = () => {
  const paid = (prefix: string) => shop.paid.filter((p) => p.orderId.startsWith(prefix)).map((p) => p.orderId);
  return { A: paid('A'), W: paid('W'), U: paid('U') };
};

describe('payments.statement downloads each provider’s bill from the sandbox', () => {
  it('Alipay: the zip behind bill_download_url, rows in time order, order ids mapped back', async () => {
    const [a1, a2] = ids().A;
    const rows = await rowsOf(payments.statement('alipay', yesterday));
    expect(summary(rows)).toEqual([
      ['payment', a1, 12800],
      ['payment', a2, 990],
      ['refund', a1, 300, `R${a1}`],
      ['refund', a2, 990, `R${a2}`],
    ]);
    expect(rows[0]).toMatchObject({ provider: 'alipay', tradeNo: a1, status: 'SUCCESS' });
    expect(rows[0]!.transactionId).toBe(sandbox.simulators.alipay.trades.get(a1!)!.tradeNo);
    expect(rows[0]!.raw['商品名称']).toBe('龙井茶 250g');
    expect(rows[0]!.time.getTime()).toBe(shop.paid.find((p) => p.orderId === a1)!.paidAt.getTime());
  });

  it('Alipay: the account ledger (signcustomer) as the funds statement', async () => {
    const rows = await rowsOf(payments.statement('alipay', yesterday, { kind: 'funds' }));
    expect(rows.map((r) => [r.kind, r.amount, r.raw['业务类型']])).toEqual([
      ['payment', 12800, '在线支付'],
      ['payment', 990, '在线支付'],
      ['refund', 300, '交易退款'],
      ['refund', 990, '交易退款'],
    ]);
    expect(rows.every((r) => r.orderId !== undefined)).toBe(true);
  });

  it('WeChat Pay v3: tradebill, a signed download, the SHA-1 checked, gzip or not', async () => {
    const [w1, w2] = ids().W;
    const gzipped = await rowsOf(payments.statement('wechatpay', yesterday));
    const plain = await rowsOf(payments.statement('wechatpay', yesterday, { compressed: false }));
    expect(plain).toEqual(gzipped);
    expect(summary(gzipped)).toEqual([
      ['payment', w1, 12800],
      ['payment', w2, 990],
      ['refund', w1, 300, `R${w1}`],
      ['refund', w2, 990, `R${w2}`],
    ]);
    // WeChat Pay's 0.6 % fee, to 0.00001 yuan: 76.8 fen on 128 yuan.
    expect(gzipped[0]).toMatchObject({ feeMilliFen: 76_800, fee: 77, status: 'SUCCESS' });
    expect(gzipped[2]).toMatchObject({ feeMilliFen: -1_800, status: 'SUCCESS' });
    expect(gzipped[2]!.providerRefundId).toMatch(/^50\d+/);
  });

  it('WeChat Pay v3: the fund-flow bill', async () => {
    const rows = await rowsOf(payments.statement('wechatpay', yesterday, { kind: 'funds' }));
    expect(rows.map((r) => [r.kind, r.amount])).toEqual([
      ['payment', 12800],
      ['other', 77],
      ['payment', 990],
      ['other', 6],
      ['refund', 300],
      ['other', 2],
      ['refund', 990],
      ['other', 6],
    ]);
    // A payment's movement names its transaction, which maps back to the order.
    expect(rows[0]!.orderId).toBe(ids().W[0]);
  });

  it('WeChat Pay v2: downloadbill answers the bill itself', async () => {
    const rows = await rowsOf(v2.statement('wechatpay', yesterday));
    expect(summary(rows)).toEqual([['payment', shop.paid.find((p) => p.orderId.startsWith('V'))!.orderId, 4200]]);
    await expect(rowsOf(v2.statement('wechatpay', yesterday, { kind: 'funds' }))).rejects.toMatchObject({
      code: 'REQUEST_INVALID',
    });
  });

  it('UnionPay: the file transfer’s zip, refunds and cancellations under the host’s refund ids', async () => {
    const [u1, u2] = ids().U;
    const rows = await rowsOf(payments.statement('unionpay', yesterday));
    expect(summary(rows)).toEqual([
      ['payment', u1, 12800],
      ['payment', u2, 990],
      ['refund', u1, 300, `R${u1}`],
      ['refund', u2, 990, `R${u2}`],
    ]);
    // The file names no order on refund rows: they are found through the payment's queryId.
    expect(rows[2]).toMatchObject({ tradeNo: '', transactionId: rows[0]!.transactionId });
    expect(rows.map((r) => r.raw['交易类型'])).toEqual(['01', '01', '04', '31']);
  });
});

describe('days without a statement', () => {
  it('is not ready before the provider made it: STATEMENT_NOT_READY, retryable', async () => {
    clock.at(today, '05:00');
    try {
      for (const [p, provider] of [
        [payments, 'alipay'],
        [payments, 'wechatpay'],
        [v2, 'wechatpay'],
        [payments, 'unionpay'],
      ] as const) {
        const error = await failureOf(p.statement(provider, yesterday));
        expect(error, `${provider}: ${error.message}`).toMatchObject({ code: 'STATEMENT_NOT_READY', retryable: true });
      }
    } finally {
      clock.at(today, '10:30');
    }
  });

  it('has no rows for a day without business', async () => {
    for (const [p, provider] of [
      [payments, 'alipay'],
      [payments, 'wechatpay'],
      [v2, 'wechatpay'],
      [payments, 'unionpay'],
    ] as const) {
      expect(await rowsOf(p.statement(provider, quietDay)), provider).toEqual([]);
    }
  });

  it('refuses a day that is not over, a date that does not exist, and a kind the provider lacks', async () => {
    const asked = [
      payments.statement('alipay', today),
      payments.statement('alipay', '2024-02-30'),
      payments.statement('alipay', '20240101'),
      payments.statement('unionpay', yesterday, { kind: 'funds' }),
    ];
    for (const rows of asked) expect(await failureOf(rows)).toMatchObject({ code: 'REQUEST_INVALID' });
    expect(await failureOf(payments.statement('paypal', yesterday))).toMatchObject({ code: 'PROVIDER_UNKNOWN' });
  });
});

describe('download limits and failures', () => {
  it('stops a download past maxBytes with RESPONSE_TOO_LARGE', async () => {
    for (const provider of ['alipay', 'wechatpay', 'unionpay']) {
      const error = await failureOf(payments.statement(provider, yesterday, { maxBytes: 200 }));
      expect(error, provider).toMatchObject({ code: 'RESPONSE_TOO_LARGE' });
    }
  });

  it('refuses a WeChat Pay bill whose SHA-1 is not the hash_value announced: STATEMENT_INVALID', async () => {
    for (const compressed of [true, false]) {
      sandbox.simulators.wechatpay.damageBills();
      const error = await failureOf(payments.statement('wechatpay', yesterday, { compressed }));
      expect(error).toMatchObject({ code: 'STATEMENT_INVALID', provider: 'wechatpay', retryable: true });
      expect(error.message).toMatch(/SHA-1 is [0-9a-f]{40}, the bill request said [0-9a-f]{40}/);
    }
    // The next download, with its true digest, reads.
    expect(await rowsOf(payments.statement('wechatpay', yesterday))).toHaveLength(4);
  });

  it('reports the provider’s error on the download step (WeChat Pay JSON with a 5xx)', async () => {
    sandbox.simulators.wechatpay.inject('/v3/billdownload/file', {
      status: 500,
      code: 'SYSTEM_ERROR',
      message: '系统错误',
    });
    const error = await failureOf(payments.statement('wechatpay', yesterday));
    expect(error).toMatchObject({ code: 'PROVIDER_REJECTED', providerCode: 'SYSTEM_ERROR', retryable: true });
  });

  it('maps the bill request’s own refusals (UnionPay respCode, Alipay sub_code)', async () => {
    sandbox.simulators.unionpay.inject('76', '99', '系统繁忙[9999999]');
    expect(await failureOf(payments.statement('unionpay', yesterday))).toMatchObject({
      code: 'PROVIDER_REJECTED',
      providerCode: '99',
    });
    sandbox.simulators.alipay.inject('alipay.data.dataservice.bill.downloadurl.query', {
      code: '40004',
      subCode: 'isp.bill_not_exist',
    });
    expect(await failureOf(payments.statement('alipay', yesterday))).toMatchObject({ code: 'STATEMENT_NOT_READY' });
  });
});
