import { ProviderError, RequestError, SignatureError } from '../../errors/index.js';
import { formFieldsOf } from '../../wire/body.js';
import { yuanToFen } from '../../wire/money.js';
import { parseBeijing } from '../../wire/time.js';
import { plainCopy, type Fields } from '../../wire/form.js';
import type { ProviderEvent, ProviderMismatch } from '../../spi/provider.js';
import type { CoreRequest } from '../../spi/types.js';
import type { AlipayCall } from './client.js';
import type { AlipayConfig } from './config.js';
import { queryRefund } from './operations.js';
import { verifyV1 } from './sign.js';

const REQUIRED = ['sign', 'sign_type', 'app_id', 'out_trade_no', 'trade_no', 'trade_status'];

/** Checks that a verified message is for this app and seller. */
export function mismatchOf(config: AlipayConfig, fields: Fields): ProviderMismatch | undefined {
  if (fields.app_id !== config.appId) return { reason: 'app', expected: config.appId, actual: fields.app_id ?? '' };
  if (config.sellerId && fields.seller_id && fields.seller_id !== config.sellerId)
    return { reason: 'merchant', expected: config.sellerId, actual: fields.seller_id };
  return undefined;
}

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

/** The order id checkout put in `passback_params`, which Alipay echoes still URL-encoded. */
function echoedOrderId(fields: Fields): string | undefined {
  if (!fields.passback_params) return undefined;
  try {
    return decodeURIComponent(fields.passback_params);
  } catch {
    return undefined;
  }
}

function amountOf(fields: Fields, name: string): number {
  const fen = yuanToFen(fields[name] ?? '');
  if (fen === undefined) throw new RequestError(`${name} "${fields[name] ?? ''}" is not an amount in yuan`);
  return fen;
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
 * Verifies a notify (`trade_status_sync`, spec §8) and translates it without asking Alipay
 * anything. A refund shows up as a notify that carries `out_biz_no` and `refund_fee`.
 */
export function translateNotify(config: AlipayConfig, req: CoreRequest, clock: () => Date): ProviderEvent {
  const fields = formFieldsOf(req);
  const missing = REQUIRED.filter((k) => !fields[k]);
  if (missing.length > 0) throw new RequestError(`not an Alipay notify: missing ${missing.join(', ')}`);
  verifyFields(config, fields, 'notify');

  const raw = plainCopy(fields);
  const mismatch = mismatchOf(config, fields);
  const tradeNo = fields.out_trade_no!;
  const orderId = echoedOrderId(fields);
  const transactionId = fields.trade_no!;
  const status = fields.trade_status!;
  if (
    fields.out_biz_no &&
    fields.refund_fee &&
    (status === 'TRADE_SUCCESS' || status === 'TRADE_CLOSED' || status === 'TRADE_FINISHED')
  ) {
    return {
      type: 'refunded',
      tradeNo,
      orderId,
      refundId: fields.out_biz_no,
      amount: amountOf(fields, 'refund_fee'),
      status: 'success',
      raw,
      mismatch,
    };
  }
  switch (status) {
    case 'TRADE_SUCCESS':
    case 'TRADE_FINISHED':
      return {
        type: 'paid',
        tradeNo,
        orderId,
        transactionId,
        amount: amountOf(fields, 'total_amount'),
        paidAt: parseBeijing(fields.gmt_payment ?? '') ?? clock(),
        payer: fields.buyer_id ?? fields.buyer_open_id,
        raw,
        mismatch,
      };
    case 'TRADE_CLOSED':
      return { type: 'closed', tradeNo, orderId, transactionId, reason: 'TRADE_CLOSED', raw, mismatch };
    default:
      return { type: 'ignored', reason: `trade_status ${status}`, raw };
  }
}
