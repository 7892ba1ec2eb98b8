import type { ProviderRefundResult, TradeState } from '../../spi/provider.js';
import type { JsapiParams, Order } from '../../spi/types.js';
import { httpClient, type HttpClient } from '../../wire/http.js';
import type { WechatpayConfig } from './config.js';

/** What checkout hands to either API version to create a prepay. */
export interface PrepayInput {
  order: Order;
  /** The `out_trade_no` of this attempt. */
  tradeNo: string;
  appId: string;
  notifyUrl: string;
  /** The payer's IP (required for H5). */
  clientIp?: string;
}

/** A prepay for a known payer (JSAPI, mini-program): the openid is the app id's. */
export interface PayerPrepayInput extends PrepayInput {
  channel: 'jsapi' | 'mini';
  openid: string;
}

/** A refund as either API version sends it. */
export interface RefundCall {
  tradeNo: string;
  /** The order's whole amount in fen (WeChat wants the total with every refund). */
  total: number;
  refundId: string;
  amount: number;
  reason?: string;
  transactionId?: string;
  notifyUrl?: string;
  appId: string;
}

/**
 * The calls paymount makes, implemented once per API version (`v3/index.ts`, `v2/index.ts`) so
 * that checkout, query and refunds read the same whichever version a merchant uses. Each call
 * goes through the gateway pipeline (`wire/gateway.ts`) with that version's stages (`v3/client.ts`,
 * `v2/client.ts`).
 */
export interface WechatApi {
  readonly version: 'v2' | 'v3';
  /** `h5_url` (v3) or `mweb_url` (v2), valid for 5 minutes. */
  prepayH5(input: PrepayInput): Promise<string>;
  /** `prepay_id`, valid for 2 hours. */
  prepayApp(input: PrepayInput): Promise<string>;
  /** The signed parameter set the OpenSDK takes (lower-case keys). */
  appParams(appId: string, prepayId: string): Promise<Record<string, string>>;
  /** `prepay_id` of a JSAPI or mini-program order, valid for 2 hours. */
  prepayJsapi(input: PayerPrepayInput): Promise<string>;
  /** The signed parameter set of `getBrandWCPayRequest` and `wx.requestPayment`. */
  jsapiParams(appId: string, prepayId: string): Promise<JsapiParams>;
  query(tradeNo: string, appId: string): Promise<TradeState>;
  close(tradeNo: string, appId: string): Promise<void>;
  refund(input: RefundCall): Promise<ProviderRefundResult>;
  queryRefund(input: { refundId: string; appId: string }): Promise<ProviderRefundResult>;
}

/**
 * The HTTP client of the gateway: `timeoutMs` and `ca` from the options, and the client
 * certificate for the v2 calls that need mutual TLS.
 */
export function wechatHttp(
  config: WechatpayConfig,
  clientCertificate?: { pfx: Buffer; passphrase: string },
): HttpClient {
  return httpClient({ provider: 'wechatpay', timeoutMs: config.timeoutMs, ca: config.ca, clientCertificate });
}
