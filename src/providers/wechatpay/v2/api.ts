import { ProviderError, RequestError } from '../../../errors/index.js';
import { parseFen } from '../../../wire/money.js';
import type { ProviderEnv, ProviderRefundResult, QueryResult } from '../../../spi/provider.js';
import { beijingCompact, parseBeijing } from '../../../wire/time.js';
import { httpClient, type HttpClient } from '../../../wire/http.js';
import {
  channelOf,
  description,
  idMismatch,
  refundStatus,
  tradeStatus,
  type PrepayInput,
  type WechatBackend,
} from '../backend.js';
import type { V2Config, WechatpayConfig } from '../config.js';
import { nonce, unixSeconds } from '../nonce.js';
import { v2Sign, v2Verify } from './sign.js';
import { buildXml, parseXml, type XmlFields } from './xml.js';

/** err_codes after which the same request (same ids, same parameters) may succeed. */
const RETRYABLE = new Set([
  'SYSTEMERROR',
  'BIZERR_NEED_RETRY',
  'BANKERROR',
  'FREQUENCY_LIMITED',
  'INVALID_REQ_TOO_MUCH',
]);

/** The v2 scene_info for MWEB: a JSON *string* (an object would become nested XML, spec P9). */
function sceneInfo(config: WechatpayConfig, env: ProviderEnv): string {
  const h5 = config.h5;
  if (h5?.bundleId) return JSON.stringify({ h5_info: { type: 'IOS', app_name: h5.appName, bundle_id: h5.bundleId } });
  if (h5?.packageName)
    return JSON.stringify({ h5_info: { type: 'Android', app_name: h5.appName, package_name: h5.packageName } });
  const url = h5?.appUrl ?? new URL(env.publicUrl).origin;
  return JSON.stringify({ h5_info: { type: 'Wap', wap_url: url, wap_name: h5?.appName ?? new URL(url).host } });
}

/** API v2: signed XML, two-level result codes (spec Part A). */
export function v2Backend(config: WechatpayConfig, v2: V2Config, env: ProviderEnv): WechatBackend {
  const plain = httpClient({ provider: 'wechatpay', ca: config.ca });
  let secure: HttpClient | undefined;
  const secureClient = (): HttpClient => {
    if (!v2.clientCertificate) {
      throw new ProviderError({
        provider: 'wechatpay',
        code: 'CLIENT_CERTIFICATE_MISSING',
        message:
          'v2 refunds go over mutual TLS: configure v2.clientCertificate { pfx: apiclient_cert.p12, passphrase }',
      });
    }
    secure ??= httpClient({ provider: 'wechatpay', ca: config.ca, clientCertificate: v2.clientCertificate });
    return secure;
  };

  /** Signs, sends, checks `return_code`, verifies the response `sign`, checks `result_code`. */
  async function call(
    path: string,
    appId: string,
    fields: Record<string, string | undefined>,
    what: string,
    checkIds = true,
  ): Promise<XmlFields> {
    const request: Record<string, string | undefined> = {
      appid: appId,
      mch_id: config.mchId,
      nonce_str: nonce(),
      sign_type: v2.signType,
      ...fields,
    };
    request.sign = v2Sign(request, v2.apiKey, v2.signType);
    const http = path.startsWith('/secapi/') ? secureClient() : plain;
    const res = await http({
      url: `${config.gateway}${path}`,
      method: 'POST',
      headers: { 'content-type': 'text/xml; charset=utf-8' },
      body: buildXml(request),
    });
    if (res.status !== 200) {
      throw new ProviderError({
        provider: 'wechatpay',
        code: `HTTP_${res.status}`,
        message: `${what}: HTTP ${res.status} (is gateway right?)`,
        retryable: res.status >= 500,
      });
    }
    let x: XmlFields;
    try {
      x = parseXml(res.body);
    } catch (error) {
      throw new ProviderError({
        provider: 'wechatpay',
        code: 'RESPONSE_INVALID',
        message: `${what}: ${(error as Error).message}`,
        raw: res.body.toString('utf8').slice(0, 500),
      });
    }
    // return_code is the transport level and FAIL carries no sign (spec §A.5).
    if (x.return_code !== 'SUCCESS') {
      const msg = x.return_msg ?? 'no return_msg';
      const hint = /签名|sign/i.test(msg) ? ' (check v2.apiKey and v2.signType)' : '';
      throw new ProviderError({
        provider: 'wechatpay',
        code: x.err_code ?? 'FAIL',
        message: `${what} failed: ${msg}${hint}`,
        retryable: RETRYABLE.has(x.err_code ?? ''),
        raw: { ...x },
      });
    }
    if (x.sign !== undefined || x.result_code === 'SUCCESS') {
      if (x.sign_type !== undefined && x.sign_type !== v2.signType) {
        throw new ProviderError({
          provider: 'wechatpay',
          code: 'RESPONSE_SIGNATURE_INVALID',
          message: `${what}: the response is signed with ${x.sign_type}, this merchant is configured for ${v2.signType}`,
        });
      }
      if (!v2Verify(x, v2.apiKey, v2.signType)) {
        throw new ProviderError({
          provider: 'wechatpay',
          code: 'RESPONSE_SIGNATURE_INVALID',
          message: `${what}: the response sign does not verify with v2.apiKey (${v2.signType})`,
          raw: { ...x },
        });
      }
    }
    if (x.result_code !== 'SUCCESS') {
      const code = x.err_code ?? 'FAIL';
      throw new ProviderError({
        provider: 'wechatpay',
        code,
        message: `${what} failed: ${x.err_code_des ?? code}`,
        retryable: RETRYABLE.has(code),
        raw: { ...x },
      });
    }
    const mismatch = checkIds ? idMismatch(config, x.mch_id, x.appid) : undefined;
    if (mismatch) {
      throw new ProviderError({
        provider: 'wechatpay',
        code: 'RESPONSE_MISMATCH',
        message: `${what}: the response names ${mismatch.reason} ${mismatch.actual}, not ${mismatch.expected}`,
        raw: { ...x },
      });
    }
    return x;
  }

  function prepayFields(input: PrepayInput, tradeType: 'MWEB' | 'APP'): Record<string, string | undefined> {
    if (!input.clientIp) {
      throw new RequestError(
        "WeChat Pay needs the payer's IP address (spbill_create_ip): pass clientIp, or make sure the adapter sees the client's IP (trust proxy)",
      );
    }
    const { order } = input;
    return {
      body: description(order),
      out_trade_no: order.id,
      total_fee: String(order.amount),
      fee_type: 'CNY',
      spbill_create_ip: input.clientIp,
      time_expire: order.expiresAt ? beijingCompact(order.expiresAt) : undefined,
      notify_url: input.notifyUrl,
      trade_type: tradeType,
      scene_info: tradeType === 'MWEB' ? sceneInfo(config, env) : undefined,
    };
  }

  return {
    version: 'v2',
    async prepayH5(input) {
      const x = await call('/pay/unifiedorder', input.appId, prepayFields(input, 'MWEB'), 'unifiedorder (MWEB)');
      if (!x.mweb_url)
        throw new ProviderError({
          provider: 'wechatpay',
          code: 'RESPONSE_INVALID',
          message: 'unifiedorder answered without mweb_url',
          raw: { ...x },
        });
      return x.mweb_url;
    },
    async prepayApp(input) {
      const x = await call('/pay/unifiedorder', input.appId, prepayFields(input, 'APP'), 'unifiedorder (APP)');
      if (!x.prepay_id)
        throw new ProviderError({
          provider: 'wechatpay',
          code: 'RESPONSE_INVALID',
          message: 'unifiedorder answered without prepay_id',
          raw: { ...x },
        });
      return x.prepay_id;
    },
    async appParams(appId, prepayId) {
      const params: Record<string, string> = {
        appid: appId,
        partnerid: config.mchId,
        prepayid: prepayId,
        package: 'Sign=WXPay',
        noncestr: nonce(),
        timestamp: unixSeconds(env.clock),
      };
      return { ...params, sign: v2Sign(params, v2.apiKey, v2.signType) };
    },
    async query(orderId, appId): Promise<QueryResult> {
      let x: XmlFields;
      try {
        // ids are checked below and reported as a mismatch, not thrown: a verified answer for another merchant must reach onMismatch.
        x = await call('/pay/orderquery', appId, { out_trade_no: orderId }, 'orderquery', false);
      } catch (error) {
        if (error instanceof ProviderError && error.code === 'ORDERNOTEXIST')
          return { status: 'not_found', orderId, raw: (error.raw as Record<string, unknown>) ?? {} };
        throw error;
      }
      const status = tradeStatus(x.trade_state ?? '');
      const paidLike = status === 'paid' || status === 'refunded';
      return {
        status,
        orderId: x.out_trade_no ?? orderId,
        transactionId: paidLike ? x.transaction_id : undefined,
        amount: paidLike && x.total_fee !== undefined ? parseFen(x.total_fee) : undefined,
        paidAt: x.time_end ? parseBeijing(x.time_end) : undefined,
        payer: x.openid,
        channel: channelOf(x.trade_type),
        raw: { ...x },
        mismatch:
          idMismatch(config, x.mch_id, x.appid) ??
          (x.fee_type && x.fee_type !== 'CNY'
            ? { reason: 'currency', expected: 'CNY', actual: x.fee_type }
            : undefined),
      };
    },
    async close(orderId, appId) {
      try {
        await call('/pay/closeorder', appId, { out_trade_no: orderId }, 'closeorder');
      } catch (error) {
        // Closing twice is not an error (v3 says so explicitly; v2 answers ORDERCLOSED).
        if (error instanceof ProviderError && error.code === 'ORDERCLOSED') return;
        throw error;
      }
    },
    async refund(input): Promise<ProviderRefundResult> {
      const x = await call(
        '/secapi/pay/refund',
        input.appId,
        {
          ...(input.transactionId ? { transaction_id: input.transactionId } : { out_trade_no: input.order.id }),
          out_refund_no: input.refundId,
          total_fee: String(input.order.amount),
          refund_fee: String(input.amount),
          refund_fee_type: 'CNY',
          refund_desc: input.reason,
          notify_url: input.notifyUrl,
        },
        'refund',
      );
      // result_code=SUCCESS means accepted, not refunded: the refund notify or a query says when.
      return {
        refundId: x.out_refund_no ?? input.refundId,
        providerRefundId: x.refund_id,
        amount: parseFen(x.refund_fee ?? '') ?? input.amount,
        status: 'processing',
        raw: { ...x },
      };
    },
    async queryRefund(input): Promise<ProviderRefundResult> {
      const x = await call('/pay/refundquery', input.appId, { out_refund_no: input.refundId }, 'refundquery');
      const count = Number(x.refund_count ?? '0');
      for (let n = 0; n < Math.min(count, 50); n++) {
        if (x[`out_refund_no_${n}`] !== input.refundId) continue;
        return {
          refundId: input.refundId,
          providerRefundId: x[`refund_id_${n}`],
          amount: parseFen(x[`refund_fee_${n}`] ?? '') ?? 0,
          status: refundStatus(x[`refund_status_${n}`] ?? ''),
          raw: { ...x },
        };
      }
      throw new ProviderError({
        provider: 'wechatpay',
        code: 'REFUNDNOTEXIST',
        message: `refundquery: no refund ${input.refundId} in the answer`,
        raw: { ...x },
      });
    },
  };
}
