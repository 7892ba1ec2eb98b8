import { RequestError } from '../../errors/index.js';
import { formFieldsOf } from '../../wire/body.js';
import { plainCopy } from '../../wire/form.js';
import { parseFen } from '../../wire/money.js';
import type { ProviderEvent, ProviderMismatch } from '../../spi/provider.js';
import type { CoreRequest } from '../../spi/types.js';
import type { PaymentStore } from '../../spi/store.js';
import type { UnionpayConfig } from './config.js';
import { paidAtOf, SUCCESS, TXN } from './fields.js';
import { acpRefundOrderId, loadRefund, parseReqReserved } from './refunds.js';
import type { AcpFields } from './sign.js';
import type { AcpVerifier } from './verify.js';

/**
 * The signed fields of a notify or front return: the form body only, parsed once. The URL query
 * string is never merged in: a `?x=1` on the notify URL would add a field and break (or, worse,
 * change) what was verified (spec §6, lokielse/omnipay-unionpay#27).
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

/** Checks the merchant and currency of a verified message against the configuration. */
export function configMismatch(config: UnionpayConfig, fields: Readonly<AcpFields>): ProviderMismatch | undefined {
  if (fields.merId !== config.merId)
    return { reason: 'merchant', expected: config.merId, actual: fields.merId ?? '(none)' };
  if (fields.currencyCode !== undefined && fields.currencyCode !== '156')
    return { reason: 'currency', expected: '156', actual: fields.currencyCode };
  return undefined;
}

function required(fields: Readonly<AcpFields>, name: string): string {
  const value = fields[name];
  if (!value) throw new RequestError(`verified UnionPay notification lacks ${name}`);
  return value;
}

function fen(fields: Readonly<AcpFields>): number {
  const amount = parseFen(fields.txnAmt ?? '');
  if (amount === undefined)
    throw new RequestError(
      `verified UnionPay notification has a malformed txnAmt ${JSON.stringify(fields.txnAmt ?? '')}`,
    );
  return amount;
}

/**
 * `POST /notify/unionpay[/refund]`: verify (one RSA verify once the certificate is known), then
 * translate by `txnType`: 01 payment (respCode 00/A6 paid, otherwise closed), 04 refund and 31
 * cancel (a notify for success *and* failure). Any other verified transaction is acknowledged.
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
  const mismatch = configMismatch(config, fields);
  const txnType = fields.txnType;

  if (txnType === TXN.consume) {
    const tradeNo = required(fields, 'orderId');
    if (!SUCCESS.has(fields.respCode ?? '')) {
      return {
        type: 'closed',
        tradeNo,
        transactionId: fields.queryId || undefined,
        reason: `${fields.respCode ?? ''} ${fields.respMsg ?? ''}`.trim(),
        raw,
        mismatch,
      };
    }
    return {
      type: 'paid',
      tradeNo,
      transactionId: required(fields, 'queryId'),
      amount: fen(fields),
      paidAt: paidAtOf(fields, now),
      raw,
      mismatch,
    };
  }

  if (txnType === TXN.refund || txnType === TXN.cancel) {
    const acpOrderId = required(fields, 'orderId');
    const record = await loadRefund(store, acpOrderId);
    const reserved = parseReqReserved(fields.reqReserved);
    // reqReserved is only trusted when it maps back to this very refund orderId.
    const owner =
      record ??
      (reserved && acpRefundOrderId(reserved.orderId, reserved.refundId) === acpOrderId ? reserved : undefined);
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
      refundId: owner.refundId,
      providerRefundId: fields.queryId || undefined,
      amount: fen(fields),
      status: SUCCESS.has(fields.respCode ?? '') ? 'success' : 'failed',
      raw,
      mismatch,
    };
  }

  return { type: 'ignored', reason: `UnionPay txnType ${txnType ?? '(none)'} is not a payment, refund or cancel`, raw };
}
