import { ProviderError } from '../../../errors/index.js';
import type { ProviderRefundResult, TradeState } from '../../../spi/provider.js';
import type { RefundCall } from '../client.js';
import type { WechatpayConfig } from '../config.js';
import { missingField } from '../../../spi/provider.js';
import { idMismatch, missingFrom, requiredTexts } from '../fields.js';
import { channelOf, refundStatus, tradeStatus } from '../operations.js';
import type { V3Send } from './client.js';

type Json = Record<string, unknown>;

/** What the order query answers for a trade number WeChat does not know. */
const NOT_FOUND = new Set(['ORDER_NOT_EXIST', 'ORDERNOTEXIST', 'RESOURCE_NOT_EXISTS']);

const asObject = (value: unknown): Json =>
  value && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {};
const asString = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** An RFC 3339 time from WeChat, or `undefined`. */
export function parseRfc3339(value: unknown): Date | undefined {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)$/.test(value))
    return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** `amount.total` / `amount.refund` as fen: a non-negative safe integer, or `undefined`. */
export function fenOf(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

/** What WeChat always sends with a paid transaction, besides its id and amount (docs/providers/wechatpay.md#notify). */
const PAID_FIELDS = requiredTexts({
  'amount.currency': 'CNY',
  success_time: 'the payment time',
  trade_type: 'the trade type',
  'payer.openid': 'the payer',
});

/**
 * A Transaction object (query or decrypted notify) as a {@link TradeState}. `mchid` and `appid`
 * are required, and for a paid (`SUCCESS`) transaction the currency, payment time, trade type and
 * payer: one missing is a mismatch, like another merchant's.
 */
export function transactionResult(config: WechatpayConfig, tradeNo: string, tx: Json): TradeState {
  const amount = asObject(tx.amount);
  const state = asString(tx.trade_state) ?? '';
  const status = tradeStatus(state);
  const paidLike = status === 'paid' || status === 'refunded';
  const currency = asString(amount.currency);
  const paidAt = parseRfc3339(tx.success_time);
  return {
    status,
    tradeNo: asString(tx.out_trade_no) ?? tradeNo,
    transactionId: paidLike ? asString(tx.transaction_id) : undefined,
    amount: paidLike ? (fenOf(amount.total) ?? undefined) : undefined,
    paidAt,
    payer: asString(asObject(tx.payer).openid),
    channel: channelOf(tx.trade_type, tx.appid, config.appIds),
    raw: tx,
    mismatch:
      idMismatch(config, tx, { mch: 'mchid', app: 'appid' }) ??
      (status === 'paid' ? missingFrom(tx, PAID_FIELDS) : undefined) ??
      (status === 'paid' && !paidAt ? missingField('success_time', 'an RFC 3339 time') : undefined) ??
      (currency && currency !== 'CNY' ? { reason: 'currency', expected: 'CNY', actual: currency } : undefined),
  };
}

/** A Refund object as a {@link ProviderRefundResult}. */
export function refundResult(refundId: string, body: Json, fallbackAmount?: number): ProviderRefundResult {
  const amount = asObject(body.amount);
  return {
    refundId: asString(body.out_refund_no) ?? refundId,
    providerRefundId: asString(body.refund_id),
    amount: fenOf(amount.refund) ?? fallbackAmount ?? 0,
    status: refundStatus(asString(body.status) ?? asString(body.refund_status) ?? ''),
    raw: body,
  };
}

/**
 * The order query. An unknown trade number is `not_found`, not an error; another merchant or app
 * in the answer is reported as a mismatch (for `onMismatch`), another trade number refused. An
 * answer without its state, or a paid one without its id or amount, is malformed.
 */
export async function queryV3(config: WechatpayConfig, send: V3Send, tradeNo: string): Promise<TradeState> {
  const path =
    `/v3/pay/transactions/out-trade-no/${encodeURIComponent(tradeNo)}` + `?mchid=${encodeURIComponent(config.mchId)}`;
  let answer: Json;
  try {
    answer = await send({ method: 'GET', path, what: 'order query', tradeNo });
  } catch (error) {
    if (error instanceof ProviderError && error.code === 'PROVIDER_REJECTED' && NOT_FOUND.has(error.providerCode ?? ''))
      return { status: 'not_found', tradeNo, raw: asObject(error.raw) };
    throw error;
  }
  const result = transactionResult(config, tradeNo, answer);
  const paid = result.status === 'paid';
  if (!asString(answer.trade_state) || (paid && (!result.transactionId || result.amount === undefined))) {
    throw new ProviderError({
      provider: 'wechatpay',
      code: 'RESPONSE_MALFORMED',
      message: 'order query answered without trade_state, or a paid trade without transaction_id or amount.total',
      raw: answer,
    });
  }
  return result;
}

/** Closes an unpaid trade; WeChat answers `204` and accepts a repeat. */
export async function closeV3(config: WechatpayConfig, send: V3Send, tradeNo: string): Promise<void> {
  await send({
    method: 'POST',
    path: `/v3/pay/transactions/out-trade-no/${encodeURIComponent(tradeNo)}/close`,
    body: { mchid: config.mchId },
    what: 'close',
    empty: true,
  });
}

/** Starts a refund; the answer's `status` is where it stands now (usually `PROCESSING`). */
export async function refundV3(send: V3Send, input: RefundCall): Promise<ProviderRefundResult> {
  const body = {
    ...(input.transactionId ? { transaction_id: input.transactionId } : { out_trade_no: input.tradeNo }),
    out_refund_no: input.refundId,
    ...(input.reason ? { reason: input.reason } : {}),
    ...(input.notifyUrl ? { notify_url: input.notifyUrl } : {}),
    amount: { refund: input.amount, total: input.total, currency: 'CNY' },
  };
  const answer = await send({ method: 'POST', path: '/v3/refund/domestic/refunds', body, what: 'refund' });
  return refundResult(input.refundId, answer, input.amount);
}

/** Where a refund stands, by `out_refund_no`. */
export async function queryRefundV3(send: V3Send, refundId: string): Promise<ProviderRefundResult> {
  const path = `/v3/refund/domestic/refunds/${encodeURIComponent(refundId)}`;
  return refundResult(refundId, await send({ method: 'GET', path, what: 'refund query' }));
}
