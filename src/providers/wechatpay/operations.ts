import type { ProviderRefundInput, ProviderRefundQuery, ProviderRefundResult, TradeState } from '../../spi/provider.js';
import type { WechatApi } from './client.js';
import type { WechatpayConfig } from './config.js';

/** The app id a trade was placed with (kept in its checkout record), else the H5 one. */
function appIdOf(config: WechatpayConfig, record?: Record<string, string>): string {
  return record?.appId ?? config.appIds.wap;
}

/** The state of the trade `tradeNo`, asked with the app id it was placed with. */
export function queryTrade(
  config: WechatpayConfig,
  api: WechatApi,
  tradeNo: string,
  record?: Record<string, string>,
): Promise<TradeState> {
  return api.query(tradeNo, appIdOf(config, record));
}

/** Closes the trade `tradeNo`; closing a closed trade is not an error. */
export function closeTrade(
  config: WechatpayConfig,
  api: WechatApi,
  tradeNo: string,
  record?: Record<string, string>,
): Promise<void> {
  return api.close(tradeNo, appIdOf(config, record));
}

/** Starts a refund of the paid trade; WeChat answers "accepted", the result comes later. */
export function refundTrade(
  config: WechatpayConfig,
  api: WechatApi,
  input: ProviderRefundInput,
): Promise<ProviderRefundResult> {
  return api.refund({
    tradeNo: input.tradeNo,
    total: input.order.amount,
    refundId: input.refundId,
    amount: input.amount,
    reason: input.reason,
    transactionId: input.transactionId,
    notifyUrl: input.notifyUrl,
    appId: appIdOf(config, input.record),
  });
}

/** Where the refund `input.refundId` stands. */
export function queryRefund(
  config: WechatpayConfig,
  api: WechatApi,
  input: ProviderRefundQuery,
): Promise<ProviderRefundResult> {
  return api.queryRefund({ refundId: input.refundId, appId: appIdOf(config, input.record) });
}

/** `trade_state` → paymount status (docs/providers/wechatpay.md#query; the same values in v2's orderquery). */
export function tradeStatus(state: string): TradeState['status'] {
  switch (state) {
    case 'SUCCESS':
      return 'paid';
    case 'REFUND':
      return 'refunded';
    case 'CLOSED':
    case 'REVOKED':
    case 'PAYERROR':
      return 'closed';
    default:
      // NOTPAY, USERPAYING, ACCEPT: still payable.
      return 'pending';
  }
}

/** Refund `status` / `refund_status` → paymount refund status. */
export function refundStatus(state: string): ProviderRefundResult['status'] {
  if (state === 'SUCCESS') return 'success';
  if (state === 'PROCESSING') return 'processing';
  // CLOSED, ABNORMAL (v3); REFUNDCLOSE, CHANGE (v2).
  return 'failed';
}

/** `trade_type` → channel. */
export function channelOf(tradeType: unknown): 'wap' | 'app' | undefined {
  return tradeType === 'MWEB' ? 'wap' : tradeType === 'APP' ? 'app' : undefined;
}
