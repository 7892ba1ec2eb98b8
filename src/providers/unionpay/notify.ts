import { RequestError } from '../../errors/index.js';
import { formFieldsOf } from '../../wire/body.js';
import { plainCopy } from '../../wire/form.js';
import { parseFen } from '../../wire/money.js';
import { parseBeijing } from '../../wire/time.js';
import { missingField, type ProviderEvent, type ProviderMismatch } from '../../spi/provider.js';
import type { CoreRequest } from '../../spi/types.js';
import type { PaymentStore } from '../../spi/store.js';
import type { UnionpayConfig } from './config.js';
import { paidAtOf, SUCCESS, TXN } from './fields.js';
import { acpRefundOrderId, loadRefund } from './refunds.js';
import { echoedOrderId, parseReqReserved } from './reserved.js';
import type { AcpFields } from './sign.js';
import type { AcpVerifier } from './verify.js';

/**
 * The signed fields of a notify or front return: the form body only, parsed once. The URL query
 * string is never merged in: a `?x=1` on the notify URL would add a field and break (or, worse,
 * change) what was verified (docs/providers/unionpay.md#pitfalls, lokielse/omnipay-unionpay#27).
 */
export function signedFields(req: CoreRequest): AcpFields {
  const type = req.headers['content-type'];
  if (type !== undefined && type !== '' && !type.toLowerCase().includes('application/x-www-form-urlencoded')) {
    throw new RequestError(`UnionPay posts application/x-www-form-urlencoded, got "${type}"`, 'CONTENT_TYPE');
  }
  const fields = formFieldsOf(req);
  if (Object.keys(fields).length === 0)
    throw new RequestError('empty body: a UnionPay notification is a form POST of signed fields');
  return fields;
}

/**
 * Checks the merchant and currency of a verified message against the configuration. UnionPay
 * signs the sorted `k=v&k=v` string of raw values, so a field folded into its neighbour's value
 * keeps the signature valid: `merId` and `currencyCode`, which every result message carries
 * (docs/providers/unionpay.md#back-notify), are required, a missing one a mismatch.
 */
export function configMismatch(config: UnionpayConfig, fields: Readonly<AcpFields>): ProviderMismatch | undefined {
  if (!fields.merId) return missingField('merId', config.merId);
  if (fields.merId !== config.merId)
    return { reason: 'merchant', field: 'merId', expected: config.merId, actual: fields.merId };
  if (!fields.currencyCode) return missingField('currencyCode', '156');
  if (fields.currencyCode !== '156')
    return { reason: 'currency', field: 'currencyCode', expected: '156', actual: fields.currencyCode };
  return undefined;
}

/** A field without which a verified message cannot be read at all (its transaction type, order, result). */
export function required(fields: Readonly<AcpFields>, name: string): string {
  const value = fields[name];
  if (!value) throw new RequestError(`verified UnionPay message lacks ${name}`);
  return value;
}

/**
 * UnionPay signs the sorted `k=v&k=v` string of raw values, so a field folded into its neighbour
 * (`respCode=00&respMsg=…` as one `respCode`) still verifies: the fields paymount branches on must
 * have their documented form (docs/providers/unionpay.md#response-codes, docs/after-payment.md).
 */
const FORMS: Readonly<Record<string, RegExp>> = {
  txnType: /^\d{2}$/,
  respCode: /^[0-9A-Z]{2}$/,
  queryId: /^[0-9A-Za-z]+$/,
};

/** `required`, and of its documented form: a value that is not is refused. */
function coded(fields: Readonly<AcpFields>, name: string): string {
  const value = required(fields, name);
  if (!FORMS[name]?.test(value))
    throw new RequestError(`verified UnionPay message has a malformed ${name} ${JSON.stringify(value.slice(0, 40))}`);
  return value;
}

/** `txnAmt` in fen; `undefined` when absent (a mismatch), refused when malformed. */
function fen(fields: Readonly<AcpFields>): number | undefined {
  if (!fields.txnAmt) return undefined;
  const amount = parseFen(fields.txnAmt);
  if (amount === undefined)
    throw new RequestError(`verified UnionPay notification has a malformed txnAmt ${JSON.stringify(fields.txnAmt)}`);
  return amount;
}

/**
 * When a payment happened: `txnTime` (`yyyyMMddHHmmss`) and `traceTime` (`MMddHHmmss`), which a
 * successful transaction always carries; a missing one is a mismatch, a malformed one refused.
 */
function paidTime(fields: Readonly<AcpFields>, now: Date): { paidAt: Date; mismatch?: ProviderMismatch } {
  if (!fields.txnTime) return { paidAt: now, mismatch: missingField('txnTime', 'the order time') };
  if (!fields.traceTime) return { paidAt: now, mismatch: missingField('traceTime', 'the payment time') };
  if (!/^\d{14}$/.test(fields.txnTime) || !/^\d{10}$/.test(fields.traceTime) || !parseBeijing(fields.txnTime))
    throw new RequestError(`txnTime ${fields.txnTime} or traceTime ${fields.traceTime} is not a UnionPay time`);
  return { paidAt: paidAtOf(fields, now) };
}

/**
 * `POST /notify/unionpay[/refund]`: verify (one RSA verify once the certificate is known), then
 * translate by `txnType`: 01 payment (respCode 00/A6 paid, otherwise closed), 04 refund and 31
 * cancel (a notify for success *and* failure). Any other verified transaction is acknowledged.
 * `txnType`, `orderId` and `respCode` are required to read it; `merId`, `currencyCode`, the amount
 * and a payment's times to act on it.
 */
export async function parseNotify(
  config: UnionpayConfig,
  verify: AcpVerifier,
  store: PaymentStore,
  req: CoreRequest,
  now: Date,
): Promise<ProviderEvent> {
  const fields = signedFields(req);
  verify(fields);
  const raw: Record<string, unknown> = plainCopy(fields);
  const txnType = coded(fields, 'txnType');
  if (txnType !== TXN.consume && txnType !== TXN.refund && txnType !== TXN.cancel)
    return { type: 'ignored', reason: `UnionPay txnType ${txnType} is not a payment, refund or cancel`, raw };
  const respCode = coded(fields, 'respCode');
  const acpOrderId = required(fields, 'orderId');
  const amount = fen(fields);
  const identity =
    configMismatch(config, fields) ?? (amount === undefined ? missingField('txnAmt', 'the amount') : undefined);

  if (txnType === TXN.consume) {
    const orderId = echoedOrderId(fields.reqReserved, 'payment');
    if (!SUCCESS.has(respCode)) {
      const reason = `${respCode} ${fields.respMsg ?? ''}`.trim();
      // eslint-disable-next-line @typescript-eslint/prefer-nullish-coalescing -- an empty queryId counts as none
      const transactionId = fields.queryId || undefined;
      return { type: 'closed', tradeNo: acpOrderId, orderId, transactionId, reason, raw, mismatch: identity };
    }
    const { paidAt, mismatch } = paidTime(fields, now);
    return {
      type: 'paid',
      tradeNo: acpOrderId,
      orderId,
      transactionId: coded(fields, 'queryId'),
      amount: amount ?? 0,
      paidAt,
      raw,
      mismatch: identity ?? mismatch,
    };
  }

  const record = await loadRefund(store, acpOrderId);
  const reserved = parseReqReserved(fields.reqReserved);
  // reqReserved is only trusted when it maps back to this very refund orderId.
  const owner =
    record ?? (reserved && acpRefundOrderId(reserved.orderId, reserved.refundId) === acpOrderId ? reserved : undefined);
  if (!owner) {
    // Verified, but it names no payment paymount knows: answered as the core answers a notify for
    // an unknown order (404), so UnionPay retries while the host looks into it.
    const what = txnType === TXN.cancel ? 'cancel' : 'refund';
    throw new RequestError(
      `UnionPay ${what} notification for ${acpOrderId}, which paymount did not send (no record, no reqReserved)`,
      'ORDER_NOT_FOUND',
    );
  }
  return {
    type: 'refunded',
    tradeNo: owner.orderId,
    orderId: echoedOrderId(fields.reqReserved, 'refund') ?? record?.order,
    refundId: owner.refundId,
    // eslint-disable-next-line @typescript-eslint/prefer-nullish-coalescing -- an empty queryId counts as none
    providerRefundId: fields.queryId || undefined,
    amount: amount ?? 0,
    status: SUCCESS.has(respCode) ? 'success' : 'failed',
    raw,
    mismatch: identity,
  };
}
