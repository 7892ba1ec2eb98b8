import { ProviderError, RequestError } from '../../../errors/index.js';
import type { ProviderEnv, ProviderRefundResult, QueryResult } from '../../../spi/provider.js';
import { beijingRfc3339 } from '../../../wire/time.js';
import { rsaSign } from '../../../wire/rsa.js';
import {
  channelOf,
  description,
  idMismatch,
  refundStatus,
  tradeStatus,
  type PrepayInput,
  type RefundCall,
  type WechatBackend,
} from '../backend.js';
import type { V3Config, WechatpayConfig } from '../config.js';
import { nonce, unixSeconds } from '../nonce.js';
import { PlatformKeys } from './keys.js';
import { v3Error, verifiedJson } from './response.js';
import { appMessage } from './sign.js';
import { v3Transport, type V3Send } from './transport.js';

type Json = Record<string, unknown>;

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

/** A Transaction object (query or decrypted notify) as a {@link QueryResult}. */
export function transactionResult(config: WechatpayConfig, orderId: string, tx: Json): QueryResult {
  const amount = asObject(tx.amount);
  const state = asString(tx.trade_state) ?? '';
  const status = tradeStatus(state);
  const paidLike = status === 'paid' || status === 'refunded';
  const currency = asString(amount.currency);
  return {
    status,
    orderId: asString(tx.out_trade_no) ?? orderId,
    transactionId: paidLike ? asString(tx.transaction_id) : undefined,
    amount: paidLike ? (fenOf(amount.total) ?? undefined) : undefined,
    paidAt: parseRfc3339(tx.success_time),
    payer: asString(asObject(tx.payer).openid),
    channel: channelOf(tx.trade_type),
    raw: tx,
    mismatch:
      idMismatch(config, tx.mchid, tx.appid) ??
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

/** API v3: signed JSON requests, verified responses (spec Part B). */
export function v3Backend(
  config: WechatpayConfig,
  v3: V3Config,
  env: ProviderEnv,
): WechatBackend & { keys: PlatformKeys } {
  const send: V3Send = v3Transport({
    mchId: config.mchId,
    serial: v3.serial,
    privateKey: v3.privateKey,
    gateway: config.gateway,
    ca: config.ca,
    clock: env.clock,
  });
  const keys = new PlatformKeys(v3, config.mchId, send, env);

  async function call(method: 'GET' | 'POST', path: string, what: string, body?: unknown): Promise<Json> {
    const res = await send(method, path, body);
    if (res.status < 200 || res.status >= 300) throw v3Error(res, what);
    if (res.status === 202)
      throw new ProviderError({
        provider: 'wechatpay',
        code: 'ACCEPTED',
        message: `${what}: accepted but not finished (202); retry with the same parameters`,
        retryable: true,
      });
    return verifiedJson(res, keys.lookup, env.clock, what);
  }

  function prepayBody(input: PrepayInput): Json {
    const { order } = input;
    return {
      appid: input.appId,
      mchid: config.mchId,
      description: description(order),
      out_trade_no: order.id,
      ...(order.expiresAt ? { time_expire: beijingRfc3339(order.expiresAt) } : {}),
      notify_url: input.notifyUrl,
      amount: { total: order.amount, currency: 'CNY' },
    };
  }

  function h5Info(): Json {
    const h5 = config.h5;
    if (!h5) return { type: 'Wap' };
    const type = h5.bundleId ? 'iOS' : h5.packageName ? 'Android' : 'Wap';
    return {
      type,
      app_name: h5.appName,
      ...(h5.appUrl ? { app_url: h5.appUrl } : {}),
      ...(h5.bundleId ? { bundle_id: h5.bundleId } : {}),
      ...(h5.packageName ? { package_name: h5.packageName } : {}),
    };
  }

  return {
    version: 'v3',
    keys,
    async prepayH5(input) {
      if (!input.clientIp)
        throw new RequestError(
          "WeChat Pay H5 needs the payer's IP address (scene_info.payer_client_ip): pass clientIp, or make sure the adapter sees the client's IP (trust proxy)",
        );
      const body = { ...prepayBody(input), scene_info: { payer_client_ip: input.clientIp, h5_info: h5Info() } };
      const res = await call('POST', '/v3/pay/transactions/h5', 'H5 prepay', body);
      const url = asString(res.h5_url);
      if (!url)
        throw new ProviderError({
          provider: 'wechatpay',
          code: 'RESPONSE_INVALID',
          message: 'H5 prepay answered without h5_url',
          raw: res,
        });
      return url;
    },
    async prepayApp(input) {
      const body = {
        ...prepayBody(input),
        ...(input.clientIp ? { scene_info: { payer_client_ip: input.clientIp } } : {}),
      };
      const res = await call('POST', '/v3/pay/transactions/app', 'APP prepay', body);
      const prepayId = asString(res.prepay_id);
      if (!prepayId)
        throw new ProviderError({
          provider: 'wechatpay',
          code: 'RESPONSE_INVALID',
          message: 'APP prepay answered without prepay_id',
          raw: res,
        });
      return prepayId;
    },
    async appParams(appId, prepayId) {
      const timestamp = unixSeconds(env.clock);
      const noncestr = nonce();
      const sign = await rsaSign(v3.privateKey, appMessage(appId, timestamp, noncestr, prepayId));
      return {
        appid: appId,
        partnerid: config.mchId,
        prepayid: prepayId,
        package: 'Sign=WXPay',
        noncestr,
        timestamp,
        sign,
      };
    },
    async query(orderId) {
      const res = await send(
        'GET',
        `/v3/pay/transactions/out-trade-no/${encodeURIComponent(orderId)}?mchid=${encodeURIComponent(config.mchId)}`,
      );
      if (res.status === 404) {
        const error = v3Error(res, 'order query');
        if (error.code === 'ORDER_NOT_EXIST' || error.code === 'ORDERNOTEXIST' || error.code === 'RESOURCE_NOT_EXISTS')
          return { status: 'not_found', orderId, raw: asObject(error.raw) };
        throw error;
      }
      if (res.status !== 200) throw v3Error(res, 'order query');
      const tx = await verifiedJson(res, keys.lookup, env.clock, 'order query');
      if (tx.out_trade_no !== orderId) {
        throw new ProviderError({
          provider: 'wechatpay',
          code: 'RESPONSE_INVALID',
          message: `order query for ${orderId} answered about ${String(tx.out_trade_no)}`,
          raw: tx,
        });
      }
      return transactionResult(config, orderId, tx);
    },
    async close(orderId) {
      await call('POST', `/v3/pay/transactions/out-trade-no/${encodeURIComponent(orderId)}/close`, 'close', {
        mchid: config.mchId,
      });
    },
    async refund(input: RefundCall) {
      const body = {
        ...(input.transactionId ? { transaction_id: input.transactionId } : { out_trade_no: input.order.id }),
        out_refund_no: input.refundId,
        ...(input.reason ? { reason: input.reason } : {}),
        ...(input.notifyUrl ? { notify_url: input.notifyUrl } : {}),
        amount: { refund: input.amount, total: input.order.amount, currency: 'CNY' },
      };
      const res = await call('POST', '/v3/refund/domestic/refunds', 'refund', body);
      return refundResult(input.refundId, res, input.amount);
    },
    async queryRefund(input) {
      const res = await call(
        'GET',
        `/v3/refund/domestic/refunds/${encodeURIComponent(input.refundId)}`,
        'refund query',
      );
      return refundResult(input.refundId, res);
    },
  };
}
