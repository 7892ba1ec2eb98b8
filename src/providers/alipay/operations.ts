import { ProviderError } from '../../errors/index.js';
import { fenToYuan, yuanToFen } from '../../wire/money.js';
import { parseBeijing } from '../../wire/time.js';
import type { ProviderRefundInput, ProviderRefundResult, QueryResult } from '../../spi/provider.js';
import type { AlipayCall } from './api.js';

const notExist = (error: unknown) => error instanceof ProviderError && error.subCode === 'ACQ.TRADE_NOT_EXIST';

const STATUS: Record<string, QueryResult['status']> = {
  WAIT_BUYER_PAY: 'pending',
  TRADE_SUCCESS: 'paid',
  TRADE_FINISHED: 'paid',
  TRADE_CLOSED: 'closed',
};

/** `alipay.trade.query`. A trade the buyer never opened does not exist yet: that is "not found", not an error. */
export async function queryTrade(call: AlipayCall, orderId: string): Promise<QueryResult> {
  let r;
  try {
    r = await call('alipay.trade.query', { out_trade_no: orderId });
  } catch (error) {
    if (notExist(error))
      return { status: 'not_found', orderId, raw: (error as ProviderError).raw as Record<string, unknown> };
    throw error;
  }
  const status = STATUS[String(r.trade_status)] ?? 'pending';
  return {
    status,
    orderId: String(r.out_trade_no ?? orderId),
    transactionId: typeof r.trade_no === 'string' ? r.trade_no : undefined,
    amount: typeof r.total_amount === 'string' ? yuanToFen(r.total_amount) : undefined,
    paidAt: typeof r.send_pay_date === 'string' ? parseBeijing(r.send_pay_date) : undefined,
    payer:
      typeof r.buyer_user_id === 'string'
        ? r.buyer_user_id
        : typeof r.buyer_open_id === 'string'
          ? r.buyer_open_id
          : undefined,
    raw: r,
  };
}

/** `alipay.trade.close`. A trade that was never created is as good as closed. */
export async function closeTrade(call: AlipayCall, orderId: string): Promise<void> {
  try {
    await call('alipay.trade.close', { out_trade_no: orderId });
  } catch (error) {
    if (!notExist(error)) throw error;
  }
}

/**
 * `alipay.trade.refund`, idempotent by `out_request_no` (= the host's refund id): Alipay refunds one
 * request number once, so a retry after a timeout is safe.
 */
export async function refundTrade(call: AlipayCall, input: ProviderRefundInput): Promise<ProviderRefundResult> {
  const biz: Record<string, string> = {
    out_trade_no: input.order.id,
    refund_amount: fenToYuan(input.amount),
    out_request_no: input.refundId,
  };
  if (input.reason) biz.refund_reason = input.reason.slice(0, 256);
  const r = await call('alipay.trade.refund', biz);
  return {
    refundId: input.refundId,
    providerRefundId: typeof r.trade_no === 'string' ? r.trade_no : undefined,
    amount: input.amount,
    status: 'success',
    raw: r,
  };
}

/**
 * `alipay.trade.fastpay.refund.query`: for refunds made by `alipay.trade.refund`, business fields
 * present means the refund happened; absent means it did not (retry it with the same id).
 */
export async function queryRefund(call: AlipayCall, orderId: string, refundId: string): Promise<ProviderRefundResult> {
  const r = await call('alipay.trade.fastpay.refund.query', { out_trade_no: orderId, out_request_no: refundId });
  const amount = typeof r.refund_amount === 'string' ? yuanToFen(r.refund_amount) : undefined;
  const done = amount !== undefined && (r.refund_status === undefined || r.refund_status === 'REFUND_SUCCESS');
  return { refundId, amount: amount ?? 0, status: done ? 'success' : 'failed', raw: r };
}
