import { ProviderError, RequestError } from '../../../errors/index.js';
import { gateway, type GatewayStages } from '../../../wire/gateway.js';
import type { HttpClient } from '../../../wire/http.js';
import type { JsapiConfig } from './config.js';

/**
 * WeChat's web OAuth for official accounts (网页授权), as paymount uses it: `snsapi_base`, which
 * signs the buyer in silently and yields only the openid — all a JSAPI payment needs. Code → token:
 * https://developers.weixin.qq.com/doc/service/api/webdev/access/api_snsaccesstoken; the sign-in's
 * errors: https://developers.weixin.qq.com/doc/oplatform/developers/troubleshooting/auth.html
 */

/**
 * The authorize URL, parameters in the documented order (WeChat's FAQ lists a different order
 * among the causes of scope errors) and `#wechat_redirect` last, which the documentation requires
 * whether the link is opened directly or reached through a redirect.
 */
export function authorizeUrl(jsapi: JsapiConfig, redirectUri: string, state: string): string {
  const query = [
    `appid=${encodeURIComponent(jsapi.appId)}`,
    `redirect_uri=${encodeURIComponent(redirectUri)}`,
    'response_type=code',
    'scope=snsapi_base',
    `state=${state}`,
  ].join('&');
  return `${jsapi.authorizeUrl}?${query}#wechat_redirect`;
}

/** The answer of `sns/oauth2/access_token`: a token for this user only, and the openid. */
export interface SnsToken {
  openid: string;
  scope?: string;
  /** `1` when WeChat opened the page in snapshot mode: the openid is then a stand-in, not the buyer's. */
  is_snapshotuser?: number;
  errcode?: number;
  errmsg?: string;
  [field: string]: unknown;
}

/** Error codes after which the same exchange may succeed (`-1`: system busy). */
const RETRYABLE = new Set(['-1']);

/** What the merchant must fix, by error code (WeChat's global return codes). */
const HINTS: Record<string, string> = {
  '40125': " (check appSecret: the official account's AppSecret)",
  '40013': ' (check appId.jsapi: the official account whose AppSecret is appSecret)',
};

/**
 * The code exchange as a gateway call: the sns API signs nothing, so its answer is trusted as
 * TLS delivered it from the configured host; errors come as `{errcode, errmsg}` (with HTTP 200).
 */
function snsStages(jsapi: JsapiConfig): GatewayStages<string, SnsToken> {
  return {
    provider: 'wechatpay',
    describe: () => 'OAuth code exchange (sns/oauth2/access_token)',
    async request(code) {
      const query = new URLSearchParams({
        appid: jsapi.appId,
        secret: jsapi.appSecret,
        code,
        grant_type: 'authorization_code',
      });
      return { url: `${jsapi.tokenUrl}?${query.toString()}`, method: 'GET', headers: { accept: 'application/json' } };
    },
    parse(res) {
      const value: unknown = JSON.parse(res.body.toString('utf8'));
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        throw new Error('the answer is not a JSON object');
      return value as SnsToken;
    },
    verify: () => 'verified',
    failure(answer) {
      if (answer.errcode === undefined || answer.errcode === 0) return undefined;
      const code = String(answer.errcode);
      return {
        providerCode: code,
        message: `${answer.errmsg ?? 'no errmsg'}${HINTS[code] ?? ''}`,
        retryable: RETRYABLE.has(code),
      };
    },
    identity(answer) {
      if (typeof answer.openid !== 'string' || !/^[A-Za-z0-9_-]{1,128}$/.test(answer.openid))
        return `the answer has no usable openid (${JSON.stringify(answer.openid)})`;
      return undefined;
    },
  };
}

/** Codes that mean "this code cannot be exchanged": unknown, expired or bound elsewhere, used. */
const SPENT = new Set(['40029', '40163']);

/**
 * Exchanges an OAuth code for the buyer's openid under the official account. A code WeChat does
 * not take is the buyer's (or a reloaded page's) problem, answered 400; a wrong secret is the
 * shop's, answered as the provider's refusal with the option to fix.
 */
export function codeExchanger(jsapi: JsapiConfig, http: HttpClient): (code: string) => Promise<string> {
  const send = gateway(snsStages(jsapi), http);
  return async (code) => {
    let answer: SnsToken;
    try {
      answer = await send(code);
    } catch (error) {
      if (error instanceof ProviderError && error.providerCode && SPENT.has(error.providerCode)) {
        throw new RequestError(
          `WeChat refused the sign-in code (${error.providerCode}: unknown, older than 5 minutes, or used already): ` +
            'open the checkout link again',
          'OAUTH_CODE_INVALID',
        );
      }
      throw error;
    }
    // Snapshot mode (快照页) hands out a stand-in openid; paying for it would charge nobody real.
    if (answer.is_snapshotuser === 1) {
      throw new RequestError(
        'WeChat opened the page in snapshot mode (is_snapshotuser=1): its openid is a stand-in; ' +
          'open the link in WeChat and use the full service',
        'OAUTH_CODE_INVALID',
      );
    }
    return answer.openid;
  };
}
