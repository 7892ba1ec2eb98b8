import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { resolveUnionpayConfig } from '../src/providers/unionpay/config.js';
import { parseNotify } from '../src/providers/unionpay/notify.js';
import { acpRefundOrderId, saveRefund } from '../src/providers/unionpay/refunds.js';
import { parseReturn } from '../src/providers/unionpay/return.js';
import { createVerifier } from '../src/providers/unionpay/verify.js';
import type { ProviderEvent } from '../src/spi/provider.js';
import { memoryStore } from '../src/store/memory.js';
import {
  formPost,
  CLOCK,
  fixtureMiddle,
  fixtureOptions,
  fixtureSigner,
  fixtureText,
  foreignChain,
  leaf,
  leafNamed,
  MER_ID,
  paymentNotify,
  signAsUnionpay,
  UNIONPAY_CN,
  type AcpFields,
} from './fixtures/unionpay/helpers.js';
import { expectAsyncRefusal } from './helpers/refusal.js';

/**
 * UnionPay's back notify and front return, read after verification (docs/providers/unionpay.md#back-notify):
 * messages signed with the fixture UnionPay leaf by the test's own signer, each changed the way a
 * forger, a folded field or another merchant's message would change it. Every refusal names its code.
 */
const config = resolveUnionpayConfig(fixtureOptions());
const anchors = (production = false) => ({
  middle: new X509Certificate(fixtureText('up-middle.pem')),
  root: new X509Certificate(fixtureText('up-root.pem')),
  production,
});
const verify = createVerifier(anchors(), () => CLOCK);
const signer = fixtureSigner();
const ORDER = 'P20270301120000001';

/** The payment notify with `changes` applied (`undefined` drops a field), signed as UnionPay signs. */
function notify(changes: Record<string, string | undefined> = {}): AcpFields {
  const merged = { ...paymentNotify(ORDER, 1999, { reqReserved: 'order:A-1%2F2' }), ...changes };
  const fields = Object.fromEntries(Object.entries(merged).filter(([, v]) => v !== undefined)) as AcpFields;
  return signAsUnionpay(fields, signer);
}

const read = (fields: AcpFields, store = memoryStore()) => parseNotify(config, verify, store, formPost(fields), CLOCK);

/** The mismatch and the order id of an event that can carry them. */
const mismatchOf = (event: ProviderEvent) => ('mismatch' in event ? event.mismatch : undefined);
const orderIdOf = (event: ProviderEvent) => ('orderId' in event ? event.orderId : undefined);

describe('UnionPay notify: a payment', () => {
  it('accepts the signed notify and yields its facts', async () => {
    expect(await read(notify())).toEqual({
      type: 'paid',
      tradeNo: ORDER,
      orderId: 'A-1/2',
      transactionId: '782703011200000674028',
      amount: 1999,
      paidAt: new Date('2027-03-01T04:03:12Z'),
      raw: expect.objectContaining({ orderId: ORDER, txnAmt: '1999' }) as unknown,
      mismatch: undefined,
    });
    expect(await read(notify({ respCode: 'A6' }))).toMatchObject({ type: 'paid', amount: 1999 });
  });

  it('refuses a changed amount or an added field: SIGNATURE_INVALID', async () => {
    const signed = notify();
    // The message names the usual causes (docs/providers/unionpay.md#verification).
    await expectAsyncRefusal(
      () => read({ ...signed, txnAmt: '1' }),
      'SIGNATURE_INVALID',
      /^UnionPay signature does not verify: a field was changed, a field was added \(e\.g\. a query string merged into the form\), or signPubKeyCert line breaks were normalised$/,
    );
    await expectAsyncRefusal(() => read({ ...signed, extra: '1' }), 'SIGNATURE_INVALID');
    await expectAsyncRefusal(() => read({ ...signed, signature: signed.signature!.slice(0, -4) }), 'SIGNATURE_INVALID');
  });

  it('reads a failed payment as closed, with its reason and no transaction when queryId is empty', async () => {
    expect(await read(notify({ respCode: '01', respMsg: '交易失败', queryId: '' }))).toMatchObject({
      type: 'closed',
      tradeNo: ORDER,
      orderId: 'A-1/2',
      transactionId: undefined,
      reason: '01 交易失败',
      mismatch: undefined,
    });
    expect(await read(notify({ respCode: '01', respMsg: undefined }))).toMatchObject({
      type: 'closed',
      transactionId: '782703011200000674028',
      reason: '01',
    });
  });

  it('ignores a verified transaction that is no payment, refund or cancel', async () => {
    expect(await read(notify({ txnType: '00' }))).toMatchObject({
      type: 'ignored',
      reason: 'UnionPay txnType 00 is not a payment, refund or cancel',
    });
  });

  it('refuses folded or missing txnType, respCode, orderId or queryId: REQUEST_INVALID', async () => {
    await expectAsyncRefusal(() => read(notify({ txnType: '01&x=1' })), 'REQUEST_INVALID', /malformed txnType/);
    await expectAsyncRefusal(() => read(notify({ txnType: '1' })), 'REQUEST_INVALID', /malformed txnType/);
    await expectAsyncRefusal(
      () => read(notify({ respCode: '00&respMsg=ok' })),
      'REQUEST_INVALID',
      /malformed respCode/,
    );
    await expectAsyncRefusal(() => read(notify({ respCode: 'a0' })), 'REQUEST_INVALID', /malformed respCode/);
    await expectAsyncRefusal(() => read(notify({ queryId: '7827&x=1' })), 'REQUEST_INVALID', /malformed queryId/);
    await expectAsyncRefusal(() => read(notify({ txnType: undefined })), 'REQUEST_INVALID', /lacks txnType/);
    await expectAsyncRefusal(() => read(notify({ respCode: undefined })), 'REQUEST_INVALID', /lacks respCode/);
    await expectAsyncRefusal(() => read(notify({ orderId: undefined })), 'REQUEST_INVALID', /lacks orderId/);
    await expectAsyncRefusal(() => read(notify({ queryId: undefined })), 'REQUEST_INVALID', /lacks queryId/);
  });

  it('reports another merchant, another currency or a missing one as a mismatch naming the field', async () => {
    expect(mismatchOf(await read(notify({ merId: '777290058110049' })))).toEqual({
      reason: 'merchant',
      field: 'merId',
      expected: MER_ID,
      actual: '777290058110049',
    });
    expect(mismatchOf(await read(notify({ merId: undefined })))).toEqual({
      reason: 'missing',
      field: 'merId',
      expected: MER_ID,
      actual: '',
    });
    expect(mismatchOf(await read(notify({ currencyCode: '840' })))).toEqual({
      reason: 'currency',
      field: 'currencyCode',
      expected: '156',
      actual: '840',
    });
    expect(mismatchOf(await read(notify({ currencyCode: undefined })))).toMatchObject({
      reason: 'missing',
      field: 'currencyCode',
      expected: '156',
    });
    expect(mismatchOf(await read(notify({ respCode: '01', merId: 'x' })))).toMatchObject({ reason: 'merchant' });
  });

  it('reports a payment without its amount or times as a mismatch, and refuses malformed ones', async () => {
    expect(await read(notify({ txnAmt: undefined }))).toMatchObject({
      amount: 0,
      mismatch: { reason: 'missing', field: 'txnAmt', expected: 'the amount' },
    });
    expect(await read(notify({ txnTime: undefined }))).toMatchObject({
      paidAt: CLOCK,
      mismatch: { reason: 'missing', field: 'txnTime', expected: 'the order time' },
    });
    expect(await read(notify({ traceTime: undefined }))).toMatchObject({
      paidAt: CLOCK,
      mismatch: { reason: 'missing', field: 'traceTime', expected: 'the payment time' },
    });
    await expectAsyncRefusal(() => read(notify({ txnAmt: '19.99' })), 'REQUEST_INVALID', /malformed txnAmt "19.99"/);
    await expectAsyncRefusal(
      () => read(notify({ txnTime: '2027030112000' })),
      'REQUEST_INVALID',
      /not a UnionPay time/,
    );
    await expectAsyncRefusal(
      () => read(notify({ txnTime: '20271301120000' })),
      'REQUEST_INVALID',
      /not a UnionPay time/,
    );
    await expectAsyncRefusal(
      () => read(notify({ traceTime: '03011203120' })),
      'REQUEST_INVALID',
      /not a UnionPay time/,
    );
    await expectAsyncRefusal(() => read(notify({ traceTime: '030112031' })), 'REQUEST_INVALID', /not a UnionPay time/);
  });

  it('dates the payment by traceTime, in the year of txnTime or the next one when the trace crosses New Year', async () => {
    // traceTime is MMddHHmmss, Beijing time, without a year (docs/providers/unionpay.md#back-notify).
    const paidAt = async (txnTime: string, traceTime: string) =>
      ((await read(notify({ txnTime, traceTime }))) as { paidAt: Date }).paidAt.toISOString();
    expect(await paidAt('20271231235900', '1231235930')).toBe('2027-12-31T15:59:30.000Z');
    expect(await paidAt('20271231235900', '0101000512')).toBe('2027-12-31T16:05:12.000Z');
    // A trace up to a day before the order time (clocks apart) stays in the order's year.
    expect(await paidAt('20270302120000', '0301120000')).toBe('2027-03-01T04:00:00.000Z');
    expect(await paidAt('20270302120000', '0301120001')).toBe('2027-03-01T04:00:01.000Z');
    expect(await paidAt('20270302120000', '0301115959')).toBe('2028-03-01T03:59:59.000Z');
    // A trace that is a date in neither year (29 February, 2025 and 2026): the order time instead.
    expect(await paidAt('20250228235900', '0229000100')).toBe('2025-02-28T15:59:00.000Z');
  });

  it('refuses a reqReserved paymount did not write, and reads none as no order id', async () => {
    await expectAsyncRefusal(() => read(notify({ reqReserved: 'A-1' })), 'REQUEST_INVALID', /reqReserved "A-1" is not/);
    await expectAsyncRefusal(() => read(notify({ reqReserved: 'order:A&b' })), 'REQUEST_INVALID', /reqReserved/);
    await expectAsyncRefusal(() => read(notify({ reqReserved: 'order:%E4%B8' })), 'REQUEST_INVALID', /reqReserved/);
    expect(orderIdOf(await read(notify({ reqReserved: undefined })))).toBeUndefined();
  });
});

describe('UnionPay notify: a refund or cancel', () => {
  const REFUND = acpRefundOrderId(ORDER, 'RF1');
  const refund = (changes: Record<string, string | undefined> = {}) =>
    notify({ txnType: '04', orderId: REFUND, reqReserved: `${ORDER}|RF1;order:A-1`, txnAmt: '500', ...changes });

  it('maps a refund notify back to its payment by the signed reqReserved', async () => {
    expect(await read(refund())).toEqual({
      type: 'refunded',
      tradeNo: ORDER,
      orderId: 'A-1',
      refundId: 'RF1',
      providerRefundId: '782703011200000674028',
      amount: 500,
      status: 'success',
      raw: expect.objectContaining({ orderId: REFUND }) as unknown,
      mismatch: undefined,
    });
    expect(await read(refund({ respCode: '01', queryId: '' }))).toMatchObject({
      status: 'failed',
      providerRefundId: undefined,
    });
    expect(await read(refund({ txnType: '31' }))).toMatchObject({ type: 'refunded', refundId: 'RF1' });
  });

  it('maps it by the store record when reqReserved is gone, with the order the record kept', async () => {
    const store = memoryStore();
    const record = { orderId: ORDER, refundId: 'RF1', txnType: '04', txnTime: '20270301130000', amount: 500 };
    await saveRefund(store, REFUND, { ...record, order: 'A-9' });
    expect(await read(refund({ reqReserved: undefined }), store)).toMatchObject({
      tradeNo: ORDER,
      orderId: 'A-9',
      refundId: 'RF1',
    });
  });

  it('refuses a refund notify naming no refund paymount sent, or one whose reqReserved names another refund', async () => {
    await expectAsyncRefusal(
      () => read(refund({ reqReserved: undefined })),
      'ORDER_NOT_FOUND',
      /UnionPay refund notification/,
    );
    await expectAsyncRefusal(() => read(refund({ reqReserved: `${ORDER}|RF2` })), 'ORDER_NOT_FOUND');
    const cancel = refund({ txnType: '31', reqReserved: undefined });
    await expectAsyncRefusal(() => read(cancel), 'ORDER_NOT_FOUND', /UnionPay cancel notification/);
  });

  it('reports a refund without its amount or for another merchant as a mismatch', async () => {
    expect(await read(refund({ txnAmt: undefined }))).toMatchObject({
      amount: 0,
      mismatch: { reason: 'missing', field: 'txnAmt' },
    });
    expect(mismatchOf(await read(refund({ merId: '777290058110049' })))).toMatchObject({ reason: 'merchant' });
  });
});

describe('UnionPay notify: the form', () => {
  it('refuses a body that is not a form, and an empty form', async () => {
    const req = { ...formPost(notify()), headers: { 'content-type': 'application/json' } };
    await expectAsyncRefusal(
      () => parseNotify(config, verify, memoryStore(), req, CLOCK),
      'CONTENT_TYPE',
      /"application\/json"/,
    );
    const empty = { ...formPost({}), rawBody: Buffer.from('') };
    await expectAsyncRefusal(
      () => parseNotify(config, verify, memoryStore(), empty, CLOCK),
      'REQUEST_INVALID',
      /empty body/,
    );
  });

  it('accepts a form whose content type says its charset, and one that names none', async () => {
    const typed = {
      ...formPost(notify()),
      headers: { 'content-type': 'Application/X-WWW-Form-Urlencoded; charset=UTF-8' },
    };
    expect(await parseNotify(config, verify, memoryStore(), typed, CLOCK)).toMatchObject({ type: 'paid' });
    const untyped = { ...formPost(notify()), headers: {} };
    expect(await parseNotify(config, verify, memoryStore(), untyped, CLOCK)).toMatchObject({ type: 'paid' });
  });
});

describe('UnionPay return', () => {
  const returned = (fields: AcpFields) => parseReturn(config, verify, formPost(fields, '/return/unionpay'));

  it('names the trade and the order; success asks UnionPay, another result is a failed attempt', () => {
    expect(returned(notify())).toEqual({ tradeNo: ORDER, orderId: 'A-1/2', hint: 'unknown' });
    expect(returned(notify({ respCode: 'A6' }))).toMatchObject({ hint: 'unknown' });
    expect(returned(notify({ respCode: '01' }))).toEqual({ tradeNo: ORDER, orderId: 'A-1/2', hint: 'failed' });
    expect(returned(notify({ reqReserved: undefined }))).toEqual({ tradeNo: ORDER, hint: 'unknown' });
  });

  it('refuses a GET, a forged return, and a verified one for another merchant or without merId', async () => {
    const get = { ...formPost(notify(), '/return/unionpay'), method: 'GET' };
    await expectAsyncRefusal(() => parseReturn(config, verify, get), 'REQUEST_INVALID', /form POST/);
    await expectAsyncRefusal(() => returned({ ...notify(), txnAmt: '1' }), 'SIGNATURE_INVALID');
    await expectAsyncRefusal(
      () => returned(notify({ merId: '777290058110049' })),
      'REQUEST_INVALID',
      /merId 777290058110049/,
    );
    await expectAsyncRefusal(() => returned(notify({ merId: undefined })), 'REQUEST_INVALID', /has no merId/);
    await expectAsyncRefusal(
      () => returned(notify({ currencyCode: '840' })),
      'REQUEST_INVALID',
      /currencyCode 840, not 156/,
    );
  });

  it('refuses a return that is no payment, or lacks its order or result', async () => {
    await expectAsyncRefusal(() => returned(notify({ txnType: '04' })), 'REQUEST_INVALID', /txnType 04, not a payment/);
    await expectAsyncRefusal(() => returned(notify({ txnType: undefined })), 'REQUEST_INVALID', /lacks txnType/);
    await expectAsyncRefusal(() => returned(notify({ orderId: undefined })), 'REQUEST_INVALID', /lacks orderId/);
    await expectAsyncRefusal(() => returned(notify({ respCode: undefined })), 'REQUEST_INVALID', /lacks respCode/);
  });
});

describe('UnionPay verification: the certificate', () => {
  it('refuses a message signed as UnionPay by a leaf with the test CN slot in production only', async () => {
    const test = leaf(fixtureMiddle(), '041@8310000000083040@00040000:SIGN@00016495');
    const fields = signAsUnionpay(paymentNotify(ORDER, 1999), test);
    expect(() => createVerifier(anchors(false), () => CLOCK)(fields)).not.toThrow();
    const production = createVerifier(anchors(true), () => CLOCK);
    await expectAsyncRefusal(() => production(fields), 'SIGNATURE_INVALID', /CN part \[2\]/);
  });

  it('refuses a leaf named like UnionPay but issued by another CA: SIGNATURE_INVALID', async () => {
    const forged = signAsUnionpay(paymentNotify(ORDER, 1999), leaf(foreignChain().middle));
    await expectAsyncRefusal(
      () => verify(forged),
      'SIGNATURE_INVALID',
      /^signPubKeyCert is not issued by the configured middleCert: a forged message, or UnionPay test-environment certificates configured against production \(or the reverse\)$/,
    );
  });

  it('refuses signMethod other than 01, and a message without signature or certificate: SIGNATURE_INVALID', async () => {
    await expectAsyncRefusal(
      () => verify(notify({ signMethod: '11' })),
      'SIGNATURE_INVALID',
      /signMethod "11" is not 01/,
    );
    const { signature: _s, ...unsigned } = notify();
    await expectAsyncRefusal(
      () => verify(unsigned),
      'SIGNATURE_INVALID',
      /^the message has no signature or no signPubKeyCert: only ACP 5\.1\.0 with signMethod 01 \(certificate signing\) is accepted$/,
    );
    const { signMethod: _m, ...noMethod } = notify();
    await expectAsyncRefusal(
      () => verify(noMethod),
      'SIGNATURE_INVALID',
      /^signMethod "" is not 01: only certificate \(RSA\) signing is accepted$/,
    );
    const { signPubKeyCert: _c, ...bare } = notify();
    await expectAsyncRefusal(() => verify(bare), 'SIGNATURE_INVALID', /no signature or no signPubKeyCert/);
  });

  it('refuses an oversized or unreadable certificate before any chain check', async () => {
    const fields = notify();
    await expectAsyncRefusal(
      () => verify({ ...fields, signPubKeyCert: 'x'.repeat(8193) }),
      'SIGNATURE_INVALID',
      /too large/,
    );
    await expectAsyncRefusal(
      () => verify({ ...fields, signPubKeyCert: 'not a pem' }),
      'SIGNATURE_INVALID',
      /not a PEM/,
    );
  });

  it('trusts a certificate only within the window where leaf, middle and root are all valid', async () => {
    const middle = new X509Certificate(fixtureText('up-middle.pem'));
    const short = leaf(fixtureMiddle(), undefined, new Date('2027-01-01T00:00:00Z'), new Date('2027-06-01T00:00:00Z'));
    const fields = signAsUnionpay(paymentNotify(ORDER, 1999), short);
    const at = (iso: string) => () => createVerifier(anchors(), () => new Date(iso))(fields);
    expect(at('2027-01-01T00:00:00Z')).not.toThrow();
    expect(at('2027-06-01T00:00:00Z')).not.toThrow();
    await expectAsyncRefusal(
      at('2026-12-31T23:59:59Z'),
      'SIGNATURE_INVALID',
      /^signPubKeyCert \(or its middle\/root CA\) is not valid at 2026-12-31T23:59:59\.000Z: valid 2027-01-01T00:00:00\.000Z to 2027-06-01T00:00:00\.000Z$/,
    );
    await expectAsyncRefusal(at('2027-06-01T00:00:01Z'), 'SIGNATURE_INVALID', /not valid at/);
    // A leaf outliving its middle CA is trusted only until the middle CA ends.
    const long = leaf(fixtureMiddle(), undefined, new Date('2026-01-01T00:00:00Z'), new Date('2099-01-01T00:00:00Z'));
    const after = new Date(Date.parse(middle.validTo) + 1000);
    const late = createVerifier(anchors(), () => after);
    await expectAsyncRefusal(
      () => late(signAsUnionpay(paymentNotify(ORDER, 1999), long)),
      'SIGNATURE_INVALID',
      /not valid at/,
    );
  });
});

describe('UnionPay verification: the CN rule', () => {
  const signedBy = (cns: readonly string[]) =>
    signAsUnionpay(paymentNotify(ORDER, 1999), leafNamed(fixtureMiddle(), cns));
  const production = createVerifier(anchors(true), () => CLOCK);

  it('refuses a leaf of the middle CA with no CN, a CN of fewer than three @ parts, or another name: SIGNATURE_INVALID', async () => {
    const none = signedBy([]);
    await expectAsyncRefusal(
      () => verify(none),
      'SIGNATURE_INVALID',
      /^signPubKeyCert CN "" is not a UnionPay signing certificate \(CN part \[2\] must be UnionPay's company name\)$/,
    );
    await expectAsyncRefusal(() => production(none), 'SIGNATURE_INVALID', /CN ""/);
    for (const cn of ['041@8310000000083040', '中国银联股份有限公司', '041@中国银联股份有限公司']) {
      await expectAsyncRefusal(() => verify(signedBy([cn])), 'SIGNATURE_INVALID', new RegExp(`CN "${cn}" is not`));
    }
    // The test environment's rule is looser, yet accepts only its two names in part [2].
    await expectAsyncRefusal(
      () => verify(signedBy(['041@8310000000083040@PAYMOUNT TEST@00016495'])),
      'SIGNATURE_INVALID',
      /CN "041@8310000000083040@PAYMOUNT TEST@00016495" is not/,
    );
    // Part [2] must be the whole name, not a part that merely contains it.
    await expectAsyncRefusal(
      () => production(signedBy(['041@8310000000083040@中国银联股份有限公司 @00016495'])),
      'SIGNATURE_INVALID',
      /CN part \[2\]/,
    );
  });

  it('reads the last of several CNs: an earlier UnionPay CN is not enough', async () => {
    const last = signedBy(['PAYMOUNT TEST', UNIONPAY_CN]);
    expect(() => production(last)).not.toThrow();
    await expectAsyncRefusal(
      () => production(signedBy([UNIONPAY_CN, 'PAYMOUNT TEST'])),
      'SIGNATURE_INVALID',
      /CN "PAYMOUNT TEST" is not/,
    );
    await expectAsyncRefusal(
      () => production(signedBy(['041@1@00040000:SIGN@1', UNIONPAY_CN, '041@1@x@1'])),
      'SIGNATURE_INVALID',
      /CN "041@1@x@1"/,
    );
  });

  it('reads a certificate of up to 8192 characters (trailing line breaks included), and no more', async () => {
    const signer = fixtureSigner();
    const padded = (length: number) => ({ ...signer, pem: signer.pem + '\n'.repeat(length - signer.pem.length) });
    expect(() => verify(signAsUnionpay(paymentNotify(ORDER, 1999), padded(8192)))).not.toThrow();
    await expectAsyncRefusal(
      () => verify(signAsUnionpay(paymentNotify(ORDER, 1999), padded(8193))),
      'SIGNATURE_INVALID',
      /^signPubKeyCert is too large to be a certificate$/,
    );
  });
});
