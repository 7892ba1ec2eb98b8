import { ProviderError, RequestError } from '../../errors/index.js';
import type { CheckoutInput, CheckoutOutput } from '../../spi/provider.js';
import type { Channel } from '../../spi/types.js';
import type { AcpCall } from './client.js';
import type { UnionpayConfig } from './config.js';
import { ACP_ORDER_ID, acpTime, clearingDate, envelope, TXN } from './fields.js';
import { paymentReserved } from './reserved.js';
import { signRequest, type AcpFields } from './sign.js';

/** Why `tradeNo` cannot be a UnionPay orderId, or `undefined` when it can. */
export function checkTradeNo(tradeNo: string): string | undefined {
  return ACP_ORDER_ID.test(tradeNo) ? undefined : 'UnionPay orderId is 8–40 letters and digits (no "-" or "_")';
}

/**
 * Whether a checkout may send the previous attempt's orderId again. A front transaction may have
 * been posted (its orderId is used for the day), so only an app `tn` is reusable, and only as the
 * same `tn`, which lives one clearing day.
 */
export function reusesTradeNumber(previous: Record<string, string>, channel: Channel, now: Date): boolean {
  return channel === 'app' && previous.channel === 'app' && !!previous.tn && previous.clearing === clearingDate(now);
}

/**
 * A consumption refused as 重复交易[2010002]: the orderId was posted before that day (UnionPay's
 * consumption interface, open.unionpay.com: orderId "同一交易日期内不可重复").
 */
export function tradeNumberTaken(error: ProviderError): boolean {
  return error.provider === 'unionpay' && error.subCode === '2010002';
}

/** The consumption request (txnType 01) shared by WAP and APP (docs/providers/unionpay.md#consumption-request). */
function consumption(
  config: UnionpayConfig,
  input: CheckoutInput,
  now: Date,
): AcpFields & { txnTime: string; txnAmt: string } {
  const { order } = input;
  if (!/^\d{1,12}$/.test(String(order.amount)))
    throw new RequestError(`order ${order.id}: UnionPay txnAmt is at most 12 digits of fen`);
  const fields: AcpFields & { txnTime: string; txnAmt: string } = {
    ...envelope(config),
    txnType: TXN.consume,
    txnSubType: '01',
    bizType: '000201',
    channelType: '08',
    orderId: input.tradeNo,
    txnTime: acpTime(now),
    txnAmt: String(order.amount),
    currencyCode: '156',
    backUrl: input.notifyUrl,
  };
  // After payTimeout UnionPay refuses the payment, so a query after it is final
  // (docs/providers/unionpay.md#consumption-request and #query).
  if (order.expiresAt) fields.payTimeout = acpTime(order.expiresAt);
  // Echoed in the notify, the front return and the query: the host's order id (`reserved.ts`).
  const reserved = paymentReserved(order.id);
  if (reserved) fields.reqReserved = reserved;
  return fields;
}

/** Checks out on the buyer's channel: a form for the browser (WAP), or a `tn` for the app. */
export function checkout(
  config: UnionpayConfig,
  call: AcpCall,
  input: CheckoutInput,
  now: Date,
): Promise<CheckoutOutput> {
  return input.channel === 'app' ? appCheckout(config, call, input, now) : wapCheckout(config, input, now);
}

/**
 * WAP: the signed form the buyer's browser posts to `frontTransReq.do` (the core renders it as an
 * auto-submitting page). The record keeps `txnTime`: a query needs orderId *and* txnTime.
 */
export async function wapCheckout(config: UnionpayConfig, input: CheckoutInput, now: Date): Promise<CheckoutOutput> {
  const fields = { ...consumption(config, input, now), frontUrl: input.returnUrl };
  const signed = await signRequest(fields, config.signingKey);
  return {
    result: { type: 'form', action: config.endpoints.front, method: 'POST', fields: signed },
    record: { channel: 'wap', txnTime: fields.txnTime, txnAmt: fields.txnAmt },
  };
}

/**
 * APP: ask `appTransReq.do` for a `tn` and hand `{ tn, mode }` to the UnionPay mobile control.
 * A `tn` from an earlier checkout of the same trade number, amount and clearing day is reused,
 * because UnionPay refuses a second request with the same orderId that day ("重复交易").
 */
export async function appCheckout(
  config: UnionpayConfig,
  call: AcpCall,
  input: CheckoutInput,
  now: Date,
): Promise<CheckoutOutput> {
  const mode = config.production ? '00' : '01';
  const previous = input.record;
  if (
    previous?.channel === 'app' &&
    previous.tn &&
    previous.txnAmt === String(input.order.amount) &&
    clearingDate(now) === previous.clearing &&
    (!input.order.expiresAt || input.order.expiresAt.getTime() > now.getTime())
  ) {
    return { result: { type: 'app', provider: 'unionpay', params: { tn: previous.tn, mode } }, record: previous };
  }
  const fields = consumption(config, input, now);
  const answer = await call({ endpoint: 'app', fields, what: 'appTransReq (app payment)' });
  const tn = answer.tn;
  if (!tn || !/^\d{1,64}$/.test(tn)) {
    throw new ProviderError({
      provider: 'unionpay',
      code: 'RESPONSE_MALFORMED',
      message: 'appTransReq answered 00 without a numeric tn',
      raw: { ...answer },
    });
  }
  return {
    result: { type: 'app', provider: 'unionpay', params: { tn, mode } },
    record: { channel: 'app', txnTime: fields.txnTime, txnAmt: fields.txnAmt, tn, clearing: clearingDate(now) },
  };
}
