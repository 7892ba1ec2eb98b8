import { ConfigError, SignatureError } from '../../../errors/index.js';
import { gateway, type GatewayFailure, type GatewayStages, type Verification } from '../../../wire/gateway.js';
import { wechatHttp } from '../client.js';
import type { V2Config, WechatpayConfig } from '../config.js';
import { idMismatch } from '../fields.js';
import { nonce } from '../sign.js';
import { v2Sign, v2Verify } from './sign.js';
import { buildXml, parseXml, type XmlFields } from './xml.js';

/** One v2 API call. */
export interface V2Call {
  /** `/pay/unifiedorder`, `/secapi/pay/refund`, …: the `/secapi/` ones go over mutual TLS. */
  path: string;
  /** The app id the call is made for (an APP trade's differs from an H5 one's). */
  appId: string;
  /** The call's own fields; `appid`, `mch_id`, `nonce_str`, `sign_type` and `sign` are added. */
  fields: Record<string, string | undefined>;
  /** A short name of the call for messages (`unifiedorder (MWEB)`). */
  what: string;
  /** Throws when a successful answer lacks what the call needs: the pipeline reports a malformed answer. */
  check?(answer: XmlFields): void;
  /**
   * Another merchant or app in the answer is left for the caller to report instead of refused:
   * the order query's answer must reach `onMismatch`.
   */
  reportsMismatch?: boolean;
}

/** One v2 call through the gateway pipeline: the fields of its verified, successful answer. */
export type V2Send = (call: V2Call) => Promise<XmlFields>;

/** A {@link V2Call.check}: the answer must carry `field`. */
export const requires = (field: string) => (answer: XmlFields) => {
  if (!answer[field]) throw new Error(`the answer has no ${field}`);
};

/** err_codes after which the same request (same ids, same parameters) may succeed. */
const RETRYABLE = new Set([
  'SYSTEMERROR',
  'BIZERR_NEED_RETRY',
  'BANKERROR',
  'FREQUENCY_LIMITED',
  'INVALID_REQ_TOO_MUCH',
]);

/**
 * The v2 stages of the gateway pipeline: XML signed with the API v2 key (MD5 or HMAC-SHA256, the
 * configured one); the answer's two levels: `return_code=FAIL` is the transport's refusal and
 * carries no `sign`; otherwise the `sign` is verified (with the configured algorithm only: an
 * answer naming another is refused), then `result_code`, then `mch_id` and `appid`.
 */
export function v2Stages(config: WechatpayConfig, v2: V2Config): GatewayStages<V2Call, XmlFields> {
  return {
    provider: 'wechatpay',
    describe: (call) => call.what,

    async request(call) {
      const fields: Record<string, string | undefined> = {
        appid: call.appId,
        mch_id: config.mchId,
        nonce_str: nonce(),
        sign_type: v2.signType,
        ...call.fields,
      };
      fields.sign = v2Sign(fields, v2.apiKey, v2.signType);
      return {
        url: `${config.gateway}${call.path}`,
        method: 'POST',
        headers: { 'content-type': 'text/xml; charset=utf-8' },
        body: buildXml(fields),
      };
    },

    parse(res, call) {
      const x = parseXml(res.body);
      if (x.return_code === 'SUCCESS' && x.result_code === 'SUCCESS') call.check?.(x);
      return x;
    },

    verify(_res, x): Verification {
      if (x.return_code !== 'SUCCESS') return 'unsigned';
      if (x.sign === undefined && x.result_code !== 'SUCCESS') return 'unsigned';
      if (x.sign_type !== undefined && x.sign_type !== v2.signType)
        throw new SignatureError(
          `the answer is signed with ${x.sign_type}, this merchant is configured for ${v2.signType}`,
        );
      if (!v2Verify(x, v2.apiKey, v2.signType))
        throw new SignatureError(`the answer's sign does not verify with v2.apiKey (${v2.signType})`);
      return 'verified';
    },

    failure(x): GatewayFailure | undefined {
      if (x.return_code !== 'SUCCESS') {
        const message = x.return_msg ?? 'no return_msg';
        const hint = /签名|sign/i.test(message) ? ' (check v2.apiKey and v2.signType)' : '';
        const code = x.err_code ?? 'FAIL';
        return { providerCode: code, message: `${message}${hint}`, retryable: RETRYABLE.has(code) };
      }
      if (x.result_code === 'SUCCESS') return undefined;
      const code = x.err_code ?? 'FAIL';
      return { providerCode: code, message: x.err_code_des ?? code, retryable: RETRYABLE.has(code) };
    },

    // Every successful v2 answer names the merchant and the app (docs/providers/wechatpay.md#v2-result-codes).
    identity(x, call) {
      const mismatch = call.reportsMismatch ? undefined : idMismatch(config, x, { mch: 'mch_id', app: 'appid' });
      if (mismatch?.reason === 'missing') return `the answer has no ${mismatch.field}`;
      return mismatch && `the answer names ${mismatch.reason} ${mismatch.actual}, not ${mismatch.expected}`;
    },
  };
}

/**
 * The v2 call function: {@link v2Stages} over the plain client, or over the client presenting
 * `apiclient_cert.p12` for the `/secapi/` calls (refunds), made when first needed.
 */
export function v2Send(config: WechatpayConfig, v2: V2Config): V2Send {
  const stages = v2Stages(config, v2);
  const plain = gateway(stages, wechatHttp(config));
  let secure: V2Send | undefined;
  return async (call) => {
    if (!call.path.startsWith('/secapi/')) return plain(call);
    if (!v2.clientCertificate) {
      throw new ConfigError(
        'v2.clientCertificate',
        `is required for ${call.what}: v2 refunds go over mutual TLS; ` +
          'configure { pfx: apiclient_cert.p12, passphrase }',
      );
    }
    secure ??= gateway(stages, wechatHttp(config, v2.clientCertificate));
    return secure(call);
  };
}
