import { ProviderError } from '../../errors/index.js';
import { fenToYuan, yuanToFen } from '../../wire/money.js';
import { parseBeijing } from '../../wire/time.js';
import type { ProviderRefundInput, ProviderRefundResult, TradeState } from '../../spi/provider.js';
import { refusedWith, type AlipayCall } from './client.js';

const NOT_EXIST = 'ACQ.TRADE_NOT_EXIST';

const STATUS: Record<string, TradeState['status']> = {
  WAIT_BUYER_PAY: 'pending',
  TRADE_SUCCESS: 'paid',
  TRADE_FINISHED: 'paid',
  TRADE_CLOSED: 'closed',
};

const text = (value: unknown) => (typeof value === 'string' ? value : undefined);

/**
 * `alipay.trade.query`. A trade the buyer never opened does not exist yet: that is "not found",
 * not an error. A success always names the trade's status, and a paid trade its `trade_no` and
 * `total_amount` (docs/providers/alipay.md#query): an answer without them is malformed, never
 * "pending" or a payment of nothing.
 */
export async function queryTrade(call: AlipayCall, tradeNo: string): Promise<TradeState> {
  let r;
  try {
    r = await call('alipay.trade.query', { out_trade_no: tradeNo });
  } catch (error) {
    const refused = refusedWith(error, NOT_EXIST);
    if (refused) return { status: 'not_found', tradeNo, raw: refused };
    throw error;
  }
  const status = STATUS[String(r.trade_status)];
  if (status === undefined) throw malformed(`trade_status ${JSON.stringify(r.trade_status)}`, r);
  const paidAt = text(r.send_pay_date);
  const state: TradeState = {
    status,
    tradeNo,
    transactionId: text(r.trade_no),
    paidAt: paidAt === undefined ? undefined : parseBeijing(paidAt),
    payer: text(r.buyer_user_id) ?? text(r.buyer_open_id),
    raw: r,
  };
  if (status !== 'paid') return state;
  const amount = yuanToFen(text(r.total_amount) ?? '');
  if (!state.transactionId || amount === undefined) throw malformed('a paid trade without trade_no or total_amount', r);
  return { ...state, amount };
}

function malformed(what: string, raw: Record<string, unknown>): ProviderError {
  return new ProviderError({
    provider: 'alipay',
    code: 'RESPONSE_MALFORMED',
    message: `alipay.trade.query answered ${what}`,
    raw,
  });
}

/** `alipay.trade.close`. A trade that was never created is as good as closed. */
export async function closeTrade(call: AlipayCall, tradeNo: string): Promise<void> {
  try {
    await call('alipay.trade.close', { out_trade_no: tradeNo });
  } catch (error) {
    if (!refusedWith(error, NOT_EXIST)) throw error;
  }
}

/**
 * `alipay.trade.refund`, idempotent by `out_request_no` (= the host's refund id): Alipay refunds one
 * request number once, so a retry after a timeout is safe.
 */
export async function refundTrade(call: AlipayCall, input: ProviderRefundInput): Promise<ProviderRefundResult> {
  const biz: Record<string, string> = {
    out_trade_no: input.tradeNo,
    refund_amount: fenToYuan(input.amount),
    out_request_no: input.refundId,
  };
  if (input.reason) biz.refund_reason = input.reason.slice(0, 256);
  const r = await call('alipay.trade.refund', biz);
  return {
    refundId: input.refundId,
    providerRefundId: text(r.trade_no),
    amount: input.amount,
    status: 'success',
    raw: r,
  };
}

/**
 * `alipay.trade.fastpay.refund.query`: for refunds made by `alipay.trade.refund`, business fields
 * present means the refund happened; absent means it did not (retry it with the same id).
 */
export async function queryRefund(call: AlipayCall, tradeNo: string, refundId: string): Promise<ProviderRefundResult> {
  const r = await call('alipay.trade.fastpay.refund.query', { out_trade_no: tradeNo, out_request_no: refundId });
  const amount = typeof r.refund_amount === 'string' ? yuanToFen(r.refund_amount) : undefined;
  const done = amount !== undefined && (r.refund_status === undefined || r.refund_status === 'REFUND_SUCCESS');
  return { refundId, amount: amount ?? 0, status: done ? 'success' : 'failed', raw: r };
}
