import { hkdfSync } from 'node:crypto';
import { ConfigError } from '../../../errors/index.js';
import type { Channel } from '../../../spi/types.js';

/** WeChat's web OAuth hosts (official accounts' web authorization documentation). */
export const OAUTH_HOSTS = { authorizeBase: 'https://open.weixin.qq.com', snsBase: 'https://api.weixin.qq.com' };

/** The options of `wechatpay(...)` that checkout links inside WeChat read (see `WechatpayOptions`). */
export interface JsapiOptions {
  appSecret?: string;
  oauth?: { authorizeBase?: string; snsBase?: string };
  bridgeScript?: string;
}

/** What a checkout link inside WeChat needs: the official account, its secret, WeChat's OAuth hosts. */
export interface JsapiConfig {
  /** The official account's app id (`appId.jsapi`): the openid is this app's. */
  appId: string;
  appSecret: string;
  /** The key of the OAuth `state` and of the payer token, derived from the AppSecret. */
  stateKey: Buffer;
  /** `…/connect/oauth2/authorize`. */
  authorizeUrl: string;
  /** `…/sns/oauth2/access_token`. */
  tokenUrl: string;
  /** The sandbox's `WeixinJSBridge` stand-in, when configured. */
  bridgeScript?: string;
}

/** An http(s) URL without query or fragment, its trailing slashes removed (paths are appended). */
function baseUrl(value: unknown, field: string): string {
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    throw new ConfigError(field, `must be an absolute http(s) URL, got ${JSON.stringify(value)}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new ConfigError(field, `must be an http(s) URL, got ${JSON.stringify(value)}`);
  if (url.search || url.hash) throw new ConfigError(field, 'must not carry a query or fragment: paths are appended');
  return url.href.replace(/\/+$/, '');
}

/** The official account's AppSecret: 32 letters and digits, and none of the merchant's API keys. */
function appSecretOf(value: unknown, apiKeys: readonly (string | undefined)[]): string {
  if (typeof value !== 'string' || !/^[0-9A-Za-z]{32}$/.test(value.trim())) {
    throw new ConfigError(
      'appSecret',
      "must be the official account's AppSecret: 32 letters and digits (公众平台 → 设置与开发 → 基本配置)",
    );
  }
  const secret = value.trim();
  if (apiKeys.includes(secret)) {
    throw new ConfigError(
      'appSecret',
      "is one of your WeChat Pay API keys: appSecret is the official account's AppSecret, set in 公众平台, not 商户平台",
    );
  }
  return secret;
}

/**
 * Checks the JSAPI options: the OAuth hosts and the bridge (always, when given), and the
 * AppSecret with `appId.jsapi`. Returns the configuration of checkout links inside WeChat, or
 * `undefined` when either of the two is missing (those links then answer "open in your browser").
 */
export function resolveJsapi(
  options: JsapiOptions,
  merchant: { mchId: string; appIds: Partial<Record<Channel, string>>; keys: readonly (string | undefined)[] },
): JsapiConfig | undefined {
  const oauth = options.oauth ?? {};
  if (typeof oauth !== 'object' || oauth === null)
    throw new ConfigError('oauth', 'must be an object { authorizeBase?, snsBase? }');
  const authorizeBase = baseUrl(oauth.authorizeBase ?? OAUTH_HOSTS.authorizeBase, 'oauth.authorizeBase');
  const snsBase = baseUrl(oauth.snsBase ?? OAUTH_HOSTS.snsBase, 'oauth.snsBase');
  const bridgeScript = options.bridgeScript === undefined ? undefined : baseUrl(options.bridgeScript, 'bridgeScript');
  if (options.appSecret === undefined) return undefined;
  const appSecret = appSecretOf(options.appSecret, merchant.keys);
  const appId = merchant.appIds.jsapi;
  if (appId === undefined) {
    throw new ConfigError(
      'appSecret',
      "is the official account's AppSecret: give that account's app id as appId.jsapi too",
    );
  }
  // A key of its own for the state, so that a state says nothing about the secret it comes from.
  const stateKey = Buffer.from(
    hkdfSync('sha256', appSecret, `${merchant.mchId}\n${appId}`, 'paymount wechatpay oauth state', 32),
  );
  return {
    appId,
    appSecret,
    stateKey,
    authorizeUrl: `${authorizeBase}/connect/oauth2/authorize`,
    tokenUrl: `${snsBase}/sns/oauth2/access_token`,
    ...(bridgeScript ? { bridgeScript } : {}),
  };
}
