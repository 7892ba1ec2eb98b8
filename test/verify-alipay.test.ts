import { describe, expect, it } from 'vitest';
import { resolveAlipayConfig } from '../src/providers/alipay/config.js';
import { translateNotify } from '../src/providers/alipay/notify.js';
import { parseReturn } from '../src/providers/alipay/return.js';
import type { ProviderEvent } from '../src/spi/provider.js';
import type { CoreRequest } from '../src/spi/types.js';
import {
  alipayOptions,
  alipayPaid,
  formBody,
  signAlipay,
  ALIPAY_APP_ID,
  ALIPAY_SELLER_ID,
  type Pairs,
} from './helpers/provider-messages.js';
import { expectRefusal } from './helpers/refusal.js';

/**
 * Alipay's notify and return, verified and read field by field (docs/providers/alipay.md#notify-fields):
 * messages signed with the fixture "Alipay" key by the test's own signer, each changed in one way
 * a forger, a proxy or another merchant's message would change it. Every refusal names its code.
 */
const config = resolveAlipayConfig(alipayOptions());
const noSeller = resolveAlipayConfig({ ...alipayOptions(), sellerId: undefined });
const NOW = new Date('2026-11-29T10:00:00Z');
const clock = () => NOW;

const notifyOf = (pairs: Pairs): CoreRequest => ({
  method: 'POST',
  path: '/notify/alipay',
  query: new URLSearchParams(),
  headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
  rawBody: Buffer.from(formBody(pairs)),
});
const returnOf = (pairs: Pairs): CoreRequest => ({
  method: 'GET',
  path: '/return/alipay',
  query: new URLSearchParams(pairs),
  headers: {},
});

/** The paid notify with `changes` applied (a value, or `undefined` to drop the field), then signed. */
function paid(changes: Record<string, string | undefined> = {}, sign = true): Pairs {
  let pairs = alipayPaid('T20261129001', '2026112922001400001', '88.88');
  for (const [key, value] of Object.entries(changes)) {
    pairs = pairs.filter(([k]) => k !== key);
    if (value !== undefined) pairs.push([key, value]);
  }
  return sign ? signAlipay(pairs) : pairs;
}

const read = (pairs: Pairs, cfg = config) => translateNotify(cfg, notifyOf(pairs), clock);

/** The mismatch and the order id of an event that can carry them. */
const mismatchOf = (event: ProviderEvent) => ('mismatch' in event ? event.mismatch : undefined);
const orderIdOf = (event: ProviderEvent) => ('orderId' in event ? event.orderId : undefined);

describe('Alipay notify: the signature', () => {
  it('accepts the signed notify and yields its facts', () => {
    expect(read(paid())).toEqual({
      type: 'paid',
      tradeNo: 'T20261129001',
      orderId: 'T20261129001',
      transactionId: '2026112922001400001',
      amount: 8888,
      paidAt: new Date('2026-11-29T09:50:12Z'),
      payer: '2088102177846880',
      raw: expect.objectContaining({ out_trade_no: 'T20261129001', total_amount: '88.88' }) as unknown,
      mismatch: undefined,
    });
  });

  it('accepts a notify whose charset is UTF-8 in capitals, and refuses one without sign_type', () => {
    expect(read(paid({ charset: 'UTF-8' }))).toMatchObject({ type: 'paid', amount: 8888 });
    expectRefusal(() => read(paid().filter(([k]) => k !== 'sign_type')), 'REQUEST_INVALID', /missing sign_type$/);
  });

  it('refuses a changed amount, a changed trade number and a truncated signature: SIGNATURE_INVALID', () => {
    const signed = paid();
    const change = (key: string, value: string) => signed.map(([k, v]): [string, string] => [k, k === key ? value : v]);
    expectRefusal(() => read(change('total_amount', '0.01')), 'SIGNATURE_INVALID', /does not verify/);
    expectRefusal(() => read(change('out_trade_no', 'T20261129002')), 'SIGNATURE_INVALID');
    const sign = signed.find(([k]) => k === 'sign')![1];
    expectRefusal(() => read(change('sign', sign.slice(0, -4))), 'SIGNATURE_INVALID');
    expectRefusal(() => read(change('sign', `${sign.slice(0, -8)}AAAAAAA=`)), 'SIGNATURE_INVALID');
  });

  it('refuses sign_type RSA (SHA-1) even when the rest verifies: SIGNATURE_INVALID', () => {
    const pairs = paid().map(([k, v]): [string, string] => [k, k === 'sign_type' ? 'RSA' : v]);
    expectRefusal(() => read(pairs), 'SIGNATURE_INVALID', /sign_type RSA; only RSA2/);
  });

  it('refuses an empty sign with SIGNATURE_MISSING before anything else is read', () => {
    const pairs = paid().map(([k, v]): [string, string] => [k, k === 'sign' ? '' : v]);
    expectRefusal(() => read(pairs), 'REQUEST_INVALID', /missing sign/);
  });

  it('refuses a charset other than utf-8 (signed as such) with REQUEST_INVALID', () => {
    expectRefusal(() => read(paid({ charset: 'GBK' })), 'REQUEST_INVALID', /charset GBK/);
  });
});

describe('Alipay notify: what it says', () => {
  it('refuses a notify_type other than trade_status_sync', () => {
    expectRefusal(
      () => read(paid({ notify_type: 'batch_trans_notify' })),
      'REQUEST_INVALID',
      /is not trade_status_sync/,
    );
  });

  it('refuses a trade_status with another field folded into it, yet reads TRADE_FINISHED as paid', () => {
    expectRefusal(() => read(paid({ trade_status: 'TRADE_SUCCESS&x=1' })), 'REQUEST_INVALID', /is malformed/);
    expectRefusal(() => read(paid({ trade_status: 'trade_success' })), 'REQUEST_INVALID', /is malformed/);
    expectRefusal(() => read(paid({ trade_status: 'x&TRADE_SUCCESS' })), 'REQUEST_INVALID', /is malformed/);
    expect(read(paid({ trade_status: 'TRADE_FINISHED' }))).toMatchObject({ type: 'paid', amount: 8888 });
  });

  it('reads TRADE_CLOSED as closed and WAIT_BUYER_PAY as nothing to do', () => {
    expect(read(paid({ trade_status: 'TRADE_CLOSED' }))).toMatchObject({
      type: 'closed',
      tradeNo: 'T20261129001',
      orderId: 'T20261129001',
      transactionId: '2026112922001400001',
      reason: 'TRADE_CLOSED',
      mismatch: undefined,
    });
    expect(read(paid({ trade_status: 'WAIT_BUYER_PAY' }))).toMatchObject({
      type: 'ignored',
      reason: 'trade_status WAIT_BUYER_PAY',
    });
  });

  it('reads a refund notify (out_biz_no, refund_fee, gmt_refund) as a refund of its running total', () => {
    const refund = { out_biz_no: 'R1', refund_fee: '10.00', gmt_refund: '2026-11-30 10:00:00.000' };
    expect(read(paid(refund))).toMatchObject({
      type: 'refunded',
      tradeNo: 'T20261129001',
      refundId: 'R1',
      amount: 1000,
      status: 'success',
      mismatch: undefined,
    });
    expect(read(paid({ ...refund, trade_status: 'TRADE_CLOSED' }))).toMatchObject({ type: 'refunded', amount: 1000 });
  });

  it('refuses a refund notify without its refund id or total, or in a trade state a refund cannot have', () => {
    const refund = { out_biz_no: 'R1', refund_fee: '10.00', gmt_refund: '2026-11-30 10:00:00.000' };
    expectRefusal(
      () => read(paid({ ...refund, out_biz_no: undefined })),
      'REQUEST_INVALID',
      /no out_biz_no or refund_fee/,
    );
    expectRefusal(
      () => read(paid({ ...refund, refund_fee: undefined })),
      'REQUEST_INVALID',
      /no out_biz_no or refund_fee/,
    );
    expectRefusal(() => read(paid({ gmt_refund: '2026-11-30 10:00:00.000' })), 'REQUEST_INVALID', /no out_biz_no/);
    expectRefusal(() => read(paid({ refund_fee: '10.00' })), 'REQUEST_INVALID', /no out_biz_no/);
    expectRefusal(() => read(paid({ ...refund, trade_status: 'WAIT_BUYER_PAY' })), 'REQUEST_INVALID', /WAIT_BUYER_PAY/);
    expectRefusal(() => read(paid({ ...refund, refund_fee: '10.001' })), 'REQUEST_INVALID', /refund_fee "10.001"/);
  });

  it('refuses a notify lacking a field every notify has, naming it', () => {
    for (const name of ['notify_type', 'out_trade_no', 'trade_no', 'trade_status']) {
      expectRefusal(() => read(paid({ [name]: undefined })), 'REQUEST_INVALID', new RegExp(`missing ${name}$`));
    }
  });
});

describe('Alipay notify: whose it is', () => {
  it('reports another app, another seller, or a missing one as a mismatch naming the field', () => {
    expect(mismatchOf(read(paid({ app_id: '2021000000000000' })))).toEqual({
      reason: 'app',
      field: 'app_id',
      expected: ALIPAY_APP_ID,
      actual: '2021000000000000',
    });
    expect(mismatchOf(read(paid({ app_id: undefined })))).toEqual({
      reason: 'missing',
      field: 'app_id',
      expected: ALIPAY_APP_ID,
      actual: '',
    });
    expect(mismatchOf(read(paid({ seller_id: '2088000000000000' })))).toEqual({
      reason: 'merchant',
      field: 'seller_id',
      expected: ALIPAY_SELLER_ID,
      actual: '2088000000000000',
    });
    expect(mismatchOf(read(paid({ seller_id: undefined })))).toMatchObject({ reason: 'missing', field: 'seller_id' });
  });

  it('checks seller_id only when sellerId is configured', () => {
    expect(mismatchOf(read(paid({ seller_id: '2088000000000000' }), noSeller))).toBeUndefined();
    expect(mismatchOf(read(paid({ seller_id: undefined }), noSeller))).toBeUndefined();
  });

  it('carries the identity mismatch of a closed trade and of a refund too', () => {
    expect(mismatchOf(read(paid({ trade_status: 'TRADE_CLOSED', app_id: 'x' })))).toMatchObject({ reason: 'app' });
    const refund = { out_biz_no: 'R1', refund_fee: '1.00', app_id: 'x' };
    expect(mismatchOf(read(paid(refund)))).toMatchObject({ reason: 'app' });
  });
});

describe('Alipay notify: the paid facts', () => {
  it('reports a paid notify without its amount, payment time or buyer as a mismatch naming the field', () => {
    expect(read(paid({ total_amount: undefined }))).toMatchObject({
      amount: 0,
      mismatch: { reason: 'missing', field: 'total_amount', expected: 'the amount paid' },
    });
    expect(read(paid({ gmt_payment: undefined }))).toMatchObject({
      paidAt: NOW,
      mismatch: { reason: 'missing', field: 'gmt_payment', expected: 'the payment time' },
    });
    expect(mismatchOf(read(paid({ buyer_id: undefined })))).toEqual({
      reason: 'missing',
      field: 'buyer_id',
      expected: 'the buyer',
      actual: '',
    });
  });

  it('takes buyer_open_id when there is no buyer_id', () => {
    const event = read(paid({ buyer_id: undefined, buyer_open_id: '074a1CcTG1LelxKe4xQC0zgNdId0nxi95b5lsNpazWYoCo5' }));
    expect(event).toMatchObject({ payer: '074a1CcTG1LelxKe4xQC0zgNdId0nxi95b5lsNpazWYoCo5', mismatch: undefined });
  });

  it('refuses a malformed amount, time, buyer_id or buyer_open_id', () => {
    expectRefusal(() => read(paid({ total_amount: '88.888' })), 'REQUEST_INVALID', /total_amount "88.888"/);
    expectRefusal(() => read(paid({ gmt_payment: '2026-11-29 17:50' })), 'REQUEST_INVALID', /gmt_payment/);
    expectRefusal(() => read(paid({ buyer_id: '2088123&x=1' })), 'REQUEST_INVALID', /buyer_id/);
    expectRefusal(() => read(paid({ buyer_id: '208812345678901' })), 'REQUEST_INVALID', /buyer_id/);
    expectRefusal(() => read(paid({ buyer_id: '12088123456789012' })), 'REQUEST_INVALID', /buyer_id/);
    expectRefusal(
      () => read(paid({ buyer_id: undefined, buyer_open_id: 'a&b=c' })),
      'REQUEST_INVALID',
      /buyer_open_id/,
    );
    expectRefusal(() => read(paid({ buyer_id: undefined, buyer_open_id: 'x'.repeat(129) })), 'REQUEST_INVALID');
  });

  it('reads the order id from passback_params, decoded, and refuses anything paymount did not write', () => {
    expect(orderIdOf(read(paid({ passback_params: encodeURIComponent('订单 1/a') })))).toBe('订单 1/a');
    expect(orderIdOf(read(paid({ passback_params: undefined })))).toBeUndefined();
    expectRefusal(() => read(paid({ passback_params: 'T1&seller_id=2088' })), 'REQUEST_INVALID', /passback_params/);
    expectRefusal(() => read(paid({ passback_params: 'x y' })), 'REQUEST_INVALID', /passback_params/);
    expectRefusal(() => read(paid({ passback_params: '%E4%B8' })), 'REQUEST_INVALID', /passback_params "%E4%B8"/);
  });
});

describe('Alipay return', () => {
  const returned = (changes: Record<string, string | undefined> = {}) =>
    paid({ notify_type: undefined, notify_id: undefined, notify_time: undefined, ...changes });

  it('names the trade of a verified return, paid or not decided by a query', () => {
    expect(parseReturn(config, returnOf(returned()))).toEqual({ tradeNo: 'T20261129001', hint: 'unknown' });
  });

  it('accepts a return without sign_type (it is not signed either), and refuses sign_type RSA', () => {
    const signed = returned();
    const bare = signed.filter(([k]) => k !== 'sign_type');
    expect(parseReturn(config, returnOf(bare))).toEqual({ tradeNo: 'T20261129001', hint: 'unknown' });
    expectRefusal(
      () => parseReturn(config, returnOf([...bare, ['sign_type', 'RSA']])),
      'SIGNATURE_INVALID',
      /only RSA2/,
    );
  });

  it('refuses a forged return, a return without sign, and one without out_trade_no', () => {
    const signed = returned();
    const forged = signed.map(([k, v]): [string, string] => [k, k === 'out_trade_no' ? 'T20261129002' : v]);
    expectRefusal(() => parseReturn(config, returnOf(forged)), 'SIGNATURE_INVALID', /return's signature/);
    expectRefusal(() => parseReturn(config, returnOf(signed.filter(([k]) => k !== 'sign'))), 'SIGNATURE_MISSING');
    const noTrade = returned({ out_trade_no: undefined });
    expectRefusal(() => parseReturn(config, returnOf(noTrade)), 'REQUEST_INVALID', /out_trade_no is missing/);
  });

  it('refuses a field given twice, even when one copy verifies', () => {
    const signed = returned();
    expectRefusal(() => parseReturn(config, returnOf([...signed, ['out_trade_no', 'T1']])), 'REQUEST_INVALID', /twice/);
  });

  it('refuses a verified return for another app or seller, or without them: MERCHANT_MISMATCH', () => {
    const other = returned({ seller_id: '2088000000000000' });
    expectRefusal(() => parseReturn(config, returnOf(other)), 'MERCHANT_MISMATCH', /2088000000000000, not this shop's/);
    expectRefusal(
      () => parseReturn(config, returnOf(returned({ app_id: undefined }))),
      'MERCHANT_MISMATCH',
      /no app_id/,
    );
  });
});
