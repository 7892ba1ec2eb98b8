import { beijingCompact, beijingDateTime, beijingRfc3339 } from '../wire/time.js';
import type { Refund, Trade } from './trades.js';

const STATE_DESC: Record<Trade['state'], string> = {
  NOTPAY: '订单未支付',
  SUCCESS: '支付成功',
  REFUND: '转入退款',
  CLOSED: '订单已关闭',
  PAYERROR: '支付失败，请重新下单支付',
};

/** The v3 Transaction object (query answers and decrypted payment notifies, WeChat Pay API v3 "查询订单"). */
export function transactionJson(trade: Trade): Record<string, unknown> {
  const paid = trade.transactionId !== undefined;
  return {
    appid: trade.appId,
    mchid: trade.merchant.mchId,
    out_trade_no: trade.outTradeNo,
    ...(paid ? { transaction_id: trade.transactionId } : {}),
    trade_type: trade.tradeType,
    trade_state: trade.state,
    trade_state_desc: STATE_DESC[trade.state],
    ...(paid
      ? { bank_type: 'OTHERS', success_time: beijingRfc3339(trade.successTime!), payer: { openid: trade.openid } }
      : {}),
    attach: trade.attach ?? '',
    amount: paid
      ? { total: trade.total, payer_total: trade.total, currency: trade.currency, payer_currency: trade.currency }
      : { total: trade.total, currency: trade.currency, payer_currency: trade.currency },
  };
}

/** The v3 Refund object (refund apply and query answers, WeChat Pay API v3 "退款申请"). */
export function refundJson(trade: Trade, refund: Refund): Record<string, unknown> {
  return {
    refund_id: refund.refundId,
    out_refund_no: refund.outRefundNo,
    transaction_id: trade.transactionId,
    out_trade_no: trade.outTradeNo,
    channel: 'ORIGINAL',
    user_received_account: '支付用户零钱',
    ...(refund.successTime ? { success_time: beijingRfc3339(refund.successTime) } : {}),
    create_time: beijingRfc3339(refund.createdAt),
    status: refund.status,
    funds_account: 'AVAILABLE',
    amount: {
      total: trade.total,
      refund: refund.amount,
      from: [],
      payer_total: trade.total,
      payer_refund: refund.amount,
      settlement_refund: refund.amount,
      settlement_total: trade.total,
      discount_refund: 0,
      currency: trade.currency,
      refund_fee: 0,
    },
    promotion_detail: [],
  };
}

/** The decrypted v3 refund notify payload (field `refund_status`, not `status`). */
export function refundNotifyJson(trade: Trade, refund: Refund): Record<string, unknown> {
  return {
    mchid: trade.merchant.mchId,
    transaction_id: trade.transactionId,
    out_trade_no: trade.outTradeNo,
    refund_id: refund.refundId,
    out_refund_no: refund.outRefundNo,
    refund_status: refund.status,
    ...(refund.successTime ? { success_time: beijingRfc3339(refund.successTime) } : {}),
    user_received_account: '支付用户零钱',
    amount: { total: trade.total, refund: refund.amount, payer_total: trade.total, payer_refund: refund.amount },
  };
}

/** v2 order fields shared by orderquery and the payment notify (values are strings). */
export function v2TradeFields(trade: Trade): Record<string, string | undefined> {
  const paid = trade.transactionId !== undefined;
  return {
    appid: trade.appId,
    mch_id: trade.merchant.mchId,
    out_trade_no: trade.outTradeNo,
    trade_type: trade.tradeType,
    total_fee: String(trade.total),
    fee_type: trade.currency,
    attach: trade.attach,
    ...(paid
      ? {
          transaction_id: trade.transactionId,
          openid: trade.openid,
          is_subscribe: 'N',
          bank_type: 'OTHERS',
          cash_fee: String(trade.total),
          cash_fee_type: trade.currency,
          time_end: beijingCompact(trade.successTime!),
        }
      : {}),
  };
}

export function v2TradeStateDesc(trade: Trade): string {
  return STATE_DESC[trade.state];
}

/** The plaintext `<root>` of a v2 refund notify's `req_info` (WeChat Pay API v2 "退款结果通知"). */
export function v2RefundInfo(trade: Trade, refund: Refund): Record<string, string | undefined> {
  return {
    transaction_id: trade.transactionId,
    out_trade_no: trade.outTradeNo,
    refund_id: refund.refundId,
    out_refund_no: refund.outRefundNo,
    total_fee: String(trade.total),
    settlement_total_fee: String(trade.total),
    refund_fee: String(refund.amount),
    settlement_refund_fee: String(refund.amount),
    refund_status: refund.status,
    success_time: refund.successTime ? beijingDateTime(refund.successTime) : undefined,
    refund_recv_accout: '支付用户的零钱',
    refund_account: 'REFUND_SOURCE_UNSETTLED_FUNDS',
    refund_request_source: refund.source,
    cash_refund_fee: String(refund.amount),
  };
}
