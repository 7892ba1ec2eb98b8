import { ProviderError } from '../../../errors/index.js';
import type { ProviderRefundResult, TradeState } from '../../../spi/provider.js';
import { parseFen } from '../../../wire/money.js';
import { parseBeijing } from '../../../wire/time.js';
import type { RefundCall } from '../client.js';
import type { WechatpayConfig } from '../config.js';
import { idMismatch, missingFrom, requiredTexts } from '../fields.js';
import { channelOf, refundStatus, tradeStatus } from '../operations.js';
import type { V2Send } from './client.js';
import type { XmlFields } from './xml.js';

/** The provider's own code of a rejected call, if `error` is one. */
const rejected = (error: unknown): string | undefined =>
  error instanceof ProviderError && error.code === 'PROVIDER_REJECTED' ? error.providerCode : undefined;

/** What a paid trade's answer always carries besides its id and amount (docs/providers/wechatpay.md#query). */
/** What WeChat always sends with a paid v2 trade, in a notify and a query (docs/providers/wechatpay.md#notify). */
export const PAID_FIELDS = requiredTexts({
  time_end: 'the payment time',
  trade_type: 'the trade type',
  openid: 'the payer',
});

/**
 * `/pay/orderquery`. An unknown trade number is `not_found`, not an error. Another merchant or app
 * in a verified answer is reported as a mismatch, not thrown: it must reach `onMismatch`.
 */
export async function queryV2(
  config: WechatpayConfig,
  send: V2Send,
  tradeNo: string,
  appId: string,
): Promise<TradeState> {
  let x: XmlFields;
  try {
    x = await send({
      path: '/pay/orderquery',
      appId,
      fields: { out_trade_no: tradeNo },
      what: 'orderquery',
      reportsMismatch: true,
    });
  } catch (error) {
    if (rejected(error) === 'ORDERNOTEXIST')
      return { status: 'not_found', tradeNo, raw: { ...((error as ProviderError).raw as XmlFields) } };
    throw error;
  }
  const status = tradeStatus(x.trade_state ?? '');
  const paidLike = status === 'paid' || status === 'refunded';
  const amount = paidLike ? parseFen(x.total_fee ?? '') : undefined;
  // A successful answer always names the trade's state; a paid one (SUCCESS) its number, id and
  // amount, the payment time, trade type and payer (docs/providers/wechatpay.md#query).
  const paid = status === 'paid';
  if (x.out_trade_no !== undefined ? x.out_trade_no !== tradeNo : paid) {
    throw new ProviderError({
      provider: 'wechatpay',
      code: 'RESPONSE_MISMATCH',
      message: `orderquery answered about trade ${x.out_trade_no ?? '(none)'}, not ${tradeNo}`,
      raw: { ...x },
    });
  }
  if (!x.trade_state || (paid && (!x.transaction_id || amount === undefined))) {
    throw new ProviderError({
      provider: 'wechatpay',
      code: 'RESPONSE_MALFORMED',
      message: 'orderquery answered without trade_state, or a paid trade without transaction_id or total_fee',
      raw: { ...x },
    });
  }
  return {
    status,
    tradeNo,
    transactionId: paidLike ? x.transaction_id : undefined,
    amount,
    paidAt: x.time_end ? parseBeijing(x.time_end) : undefined,
    payer: x.openid,
    channel: channelOf(x.trade_type, x.appid, config.appIds),
    raw: { ...x },
    mismatch:
      idMismatch(config, x, { mch: 'mch_id', app: 'appid' }) ??
      (paid ? missingFrom(x, PAID_FIELDS) : undefined) ??
      (x.fee_type && x.fee_type !== 'CNY' ? { reason: 'currency', expected: 'CNY', actual: x.fee_type } : undefined),
  };
}

/** `/pay/closeorder`. Closing twice is not an error (v3 says so explicitly; v2 answers ORDERCLOSED). */
export async function closeV2(send: V2Send, tradeNo: string, appId: string): Promise<void> {
  try {
    await send({ path: '/pay/closeorder', appId, fields: { out_trade_no: tradeNo }, what: 'closeorder' });
  } catch (error) {
    if (rejected(error) === 'ORDERCLOSED') return;
    throw error;
  }
}

/**
 * `/secapi/pay/refund`, over mutual TLS. `result_code=SUCCESS` means accepted, not refunded: the
 * refund notify or a query says when.
 */
export async function refundV2(send: V2Send, input: RefundCall): Promise<ProviderRefundResult> {
  const x = await send({
    path: '/secapi/pay/refund',
    appId: input.appId,
    fields: {
      ...(input.transactionId ? { transaction_id: input.transactionId } : { out_trade_no: input.tradeNo }),
      out_refund_no: input.refundId,
      total_fee: String(input.total),
      refund_fee: String(input.amount),
      refund_fee_type: 'CNY',
      refund_desc: input.reason,
      notify_url: input.notifyUrl,
    },
    what: 'refund',
  });
  return {
    refundId: x.out_refund_no ?? input.refundId,
    providerRefundId: x.refund_id,
    amount: parseFen(x.refund_fee ?? '') ?? input.amount,
    status: 'processing',
    raw: { ...x },
  };
}

/**
 * `/pay/refundquery` by `out_refund_no`: the refunds come numbered (`out_refund_no_0`, …). An
 * answer without ours is WeChat's "no such refund", whatever else it lists.
 */
export async function queryRefundV2(send: V2Send, refundId: string, appId: string): Promise<ProviderRefundResult> {
  const x = await send({ path: '/pay/refundquery', appId, fields: { out_refund_no: refundId }, what: 'refundquery' });
  const count = Number(x.refund_count ?? '0');
  for (let n = 0; n < Math.min(count, 50); n++) {
    if (x[`out_refund_no_${n}`] !== refundId) continue;
    return {
      refundId,
      providerRefundId: x[`refund_id_${n}`],
      amount: parseFen(x[`refund_fee_${n}`] ?? '') ?? 0,
      status: refundStatus(x[`refund_status_${n}`] ?? ''),
      raw: { ...x },
    };
  }
  throw new ProviderError({
    provider: 'wechatpay',
    providerCode: 'REFUNDNOTEXIST',
    message: `refundquery: no refund ${refundId} in the answer`,
    raw: { ...x },
  });
}
