import type { ProviderMismatch, ProviderRefundResult, QueryResult } from '../../spi/provider.js';
import type { Order } from '../../spi/types.js';

/** What checkout hands to either API version to create a prepay. */
export interface PrepayInput {
  order: Order;
  appId: string;
  notifyUrl: string;
  /** The payer's IP (required for H5). */
  clientIp?: string;
}

export interface RefundCall {
  order: Order;
  refundId: string;
  amount: number;
  reason?: string;
  transactionId?: string;
  notifyUrl?: string;
  appId: string;
}

/**
 * The operations paymount needs, implemented once per API version (`v3/api.ts`, `v2/api.ts`) so
 * that checkout, query and refunds read the same whichever version a merchant uses.
 */
export interface WechatBackend {
  readonly version: 'v2' | 'v3';
  /** `h5_url` (v3) or `mweb_url` (v2), valid for 5 minutes. */
  prepayH5(input: PrepayInput): Promise<string>;
  /** `prepay_id`, valid for 2 hours. */
  prepayApp(input: PrepayInput): Promise<string>;
  /** The signed parameter set the OpenSDK takes (lower-case keys). */
  appParams(appId: string, prepayId: string): Promise<Record<string, string>>;
  query(orderId: string, appId: string): Promise<QueryResult>;
  close(orderId: string, appId: string): Promise<void>;
  refund(input: RefundCall): Promise<ProviderRefundResult>;
  queryRefund(input: { orderId: string; refundId: string; appId: string }): Promise<ProviderRefundResult>;
}

/** Checks a verified message's merchant and app ids against the configuration. */
export function idMismatch(
  expected: { mchId: string; appIds: { wap: string; app: string } },
  mchId: unknown,
  appId: unknown,
): ProviderMismatch | undefined {
  if (typeof mchId === 'string' && mchId !== expected.mchId)
    return { reason: 'merchant', expected: expected.mchId, actual: mchId };
  if (typeof appId === 'string' && appId !== expected.appIds.wap && appId !== expected.appIds.app) {
    return {
      reason: 'app',
      expected:
        expected.appIds.wap === expected.appIds.app
          ? expected.appIds.wap
          : `${expected.appIds.wap} or ${expected.appIds.app}`,
      actual: appId,
    };
  }
  return undefined;
}

/** `trade_state` → paymount status (spec §B.8; the same values in v2's orderquery). */
export function tradeStatus(state: string): QueryResult['status'] {
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

/** Descriptions are limited to 127 characters; longer subjects are cut rather than refused. */
export function description(order: Order): string {
  const text = order.subject || order.id;
  return [...text].slice(0, 127).join('');
}
