import { ProviderError, RequestError, SignatureError } from '../../errors/index.js';
import { formFieldsOf } from '../../wire/body.js';
import { plainCopy, type Fields } from '../../wire/form.js';
import { missingField, type ProviderEvent } from '../../spi/provider.js';
import type { CoreRequest } from '../../spi/types.js';
import type { AlipayCall } from './client.js';
import type { AlipayConfig } from './config.js';
import { amountOf, echoedOrderId, missingFrom, mismatchOf, payerOf, timeOf } from './fields.js';
import { queryRefund } from './operations.js';
import { verifyV1 } from './sign.js';

/**
 * Fields without which a message is not an Alipay notify at all: refused before anything else.
 * The app and seller ids are checked after verification, so that a verified notify without them
 * reaches `onMismatch` like one for another app (docs/providers/alipay.md#notify-fields).
 */
const REQUIRED = ['sign', 'sign_type', 'notify_type', 'out_trade_no', 'trade_no', 'trade_status'];

/** Verifies signed fields (a notify or a return) under the V1 rule, with a message naming the usual causes. */
export function verifyFields(config: AlipayConfig, fields: Fields, what: string): void {
  if (!fields.sign)
    throw new SignatureError(
      `the ${what} carries no sign: only Alipay's own ${what}s are accepted`,
      'SIGNATURE_MISSING',
    );
  if (fields.sign_type !== undefined && fields.sign_type !== 'RSA2')
    throw new SignatureError(`the ${what} has sign_type ${fields.sign_type}; only RSA2 is accepted`);
  if (fields.charset && fields.charset.toLowerCase() !== 'utf-8')
    throw new RequestError(
      `the ${what} uses charset ${fields.charset}; paymount sends utf-8 requests and verifies utf-8 only`,
    );
  if (!verifyV1(config, fields)) {
    throw new SignatureError(
      `the ${what}'s signature does not verify: check that alipayPublicKey is the Alipay public key ` +
        `(not your app public key) for this app and environment, and that nothing rewrote the ${what}`,
    );
  }
}

/**
 * Verifies and translates a notify. Refunds come to the payment notify URL too; theirs carries
 * `refund_fee`, the running total of the trade's refunds, so this refund's own amount is asked of
 * the refund query. A query that fails throws a `ProviderError`: the notify is answered with a
 * retry, never with the running total.
 */
export async function parseNotify(
  config: AlipayConfig,
  call: AlipayCall,
  req: CoreRequest,
  clock: () => Date,
): Promise<ProviderEvent> {
  const event = translateNotify(config, req, clock);
  if (event.type !== 'refunded' || event.mismatch) return event;
  const refund = await queryRefund(call, event.tradeNo, event.refundId);
  if (refund.status === 'success') return { ...event, amount: refund.amount };
  // Not visible to the query yet (Alipay suggests querying 10 s after a refund).
  throw new ProviderError({
    provider: 'alipay',
    code: 'PROVIDER_UNAVAILABLE',
    message: `refund ${event.refundId} is not visible to the refund query yet`,
    raw: refund.raw,
  });
}

/**
 * Verifies a notify (`trade_status_sync`) and translates it without asking Alipay anything. A
 * refund shows up as a notify that carries `out_biz_no`, `refund_fee` and `gmt_refund`. Every
 * field paymount checks or reports is required where Alipay always sends it (`fields.ts`).
 */
/** A field of {@link REQUIRED}, checked on entry to {@link translateNotify}. */
function present(fields: Readonly<Record<string, string | undefined>>, name: string): string {
  const value = fields[name];
  if (!value) throw new RequestError(`not an Alipay notify: missing ${name}`);
  return value;
}

export function translateNotify(config: AlipayConfig, req: CoreRequest, clock: () => Date): ProviderEvent {
  const fields = formFieldsOf(req);
  // The list of what is missing is built only for a refusal: a notify pays for six lookups, no array.
  for (const name of REQUIRED) {
    if (!fields[name])
      throw new RequestError(`not an Alipay notify: missing ${REQUIRED.filter((k) => !fields[k]).join(', ')}`);
  }
  verifyFields(config, fields, 'notify');
  if (fields.notify_type !== 'trade_status_sync')
    throw new RequestError(`notify_type "${fields.notify_type}" is not trade_status_sync`);

  const raw = plainCopy(fields);
  const mismatch = mismatchOf(config, fields);
  const tradeNo = present(fields, 'out_trade_no');
  const orderId = echoedOrderId(fields);
  const transactionId = present(fields, 'trade_no');
  const status = present(fields, 'trade_status');
  // A status folded with its neighbour (`TRADE_SUCCESS&version=1.0`) still verifies: only the
  // documented form is read, never acknowledged as an unknown status (docs/providers/alipay.md#trade-status).
  if (!/^[A-Z_]+$/.test(status))
    throw new RequestError(`trade_status ${JSON.stringify(status.slice(0, 40))} is malformed`);
  const paidLike = status === 'TRADE_SUCCESS' || status === 'TRADE_FINISHED';
  if (fields.out_biz_no || fields.refund_fee || fields.gmt_refund) {
    // A refund notify names its refund and the running total; one without either is refused,
    // never read as the payment notify it would otherwise look like.
    const refundId = fields.out_biz_no;
    if (!refundId || !fields.refund_fee) throw new RequestError('the refund notify has no out_biz_no or refund_fee');
    if (!paidLike && status !== 'TRADE_CLOSED') throw new RequestError(`a refund notify with trade_status ${status}`);
    return {
      type: 'refunded',
      tradeNo,
      orderId,
      refundId,
      amount: amountOf(fields, 'refund_fee'),
      status: 'success',
      raw,
      mismatch,
    };
  }
  if (paidLike) return paidEvent(fields, { tradeNo, orderId, transactionId, raw, mismatch }, clock);
  if (status === 'TRADE_CLOSED')
    return { type: 'closed', tradeNo, orderId, transactionId, reason: 'TRADE_CLOSED', raw, mismatch };
  return { type: 'ignored', reason: `trade_status ${status}`, raw };
}

type Common = Pick<
  Extract<ProviderEvent, { type: 'paid' }>,
  'tradeNo' | 'orderId' | 'transactionId' | 'raw' | 'mismatch'
>;

/**
 * A paid trade: Alipay always sends its amount, payment time and buyer (`buyer_id`, or
 * `buyer_open_id` for newer apps); a verified notify without one is a mismatch, a malformed one refused.
 */
function paidEvent(fields: Fields, common: Common, clock: () => Date): ProviderEvent {
  const mismatch =
    common.mismatch ??
    missingFrom(fields, { total_amount: 'the amount paid', gmt_payment: 'the payment time' }) ??
    (fields.buyer_id || fields.buyer_open_id ? undefined : missingField('buyer_id', 'the buyer'));
  return {
    type: 'paid',
    ...common,
    amount: fields.total_amount ? amountOf(fields, 'total_amount') : 0,
    paidAt: fields.gmt_payment ? timeOf(fields, 'gmt_payment') : clock(),
    payer: payerOf(fields),
    mismatch,
  };
}
