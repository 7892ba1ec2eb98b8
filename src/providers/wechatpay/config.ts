import type { KeyObject, X509Certificate } from 'node:crypto';
import { ConfigError } from '../../errors/index.js';
import { resolveTransport } from '../../wire/endpoint.js';
import { loadPrivateKey, loadPublicKey, requireRsa, samePublicKey, type KeyInput } from '../../wire/keys.js';
import { parseCertificate } from '../../wire/pem.js';
import { CHANNELS, type Channel } from '../../spi/types.js';
import { resolveJsapi, type JsapiConfig } from './jsapi/config.js';
import { openClientCertificate } from './v2/client-cert.js';
import type { V2SignType } from './v2/sign.js';

/** API v3 credentials (JSON API, RSA signatures, AES-GCM notifications). */
export interface WechatpayV3Options {
  /** The APIv3 key: 32 characters, set in 商户平台 → API安全. Decrypts notifications and certificates. */
  apiV3Key: string;
  /** The merchant API private key (`apiclient_key.pem`). */
  privateKey: KeyInput;
  /** The serial (hex) of the MERCHANT certificate `apiclient_cert.pem`, not a platform serial. */
  certificateSerial: string;
  /** WeChat Pay public key mode: `pub_key.pem` … */
  platformPublicKey?: KeyInput;
  /** … and its id, `PUB_KEY_ID_…`. */
  platformPublicKeyId?: string;
  /**
   * Platform certificate mode: `'download'` fetches them from `/v3/certificates`; PEMs given here
   * are used at once and still refreshed from there when an unknown serial shows up.
   */
  platformCertificates?: 'download' | string[];
}

/** API v2 credentials (XML API, MD5/HMAC-SHA256). */
export interface WechatpayV2Options {
  /** The API v2 key: 32 characters, independent of the APIv3 key. */
  apiKey: string;
  /** Default `MD5`. Responses and notifications must use the same algorithm. */
  signType?: 'MD5' | 'HMAC-SHA256';
  /** `apiclient_cert.p12` and its passphrase (usually the mchid), for refunds over mutual TLS. */
  clientCertificate?: { pfx: Buffer; passphrase: string };
}

/**
 * Options of {@link wechatpay}. With both `v3` and `v2`, v3 makes every API call; v2 then only
 * reads v2 notifications.
 */
export interface WechatpayOptions {
  /** The merchant number (商户号), usually 10 digits. */
  mchId: string;
  /**
   * The app ids bound to the mchid, by channel: H5 (`wap`, any bound id), APP (an Open Platform
   * mobile app id), JSAPI (`jsapi`, the official account's id) and mini-program (`mini`). Give
   * those of the channels you use; one string is every channel's id.
   */
  appId: string | { wap?: string; app?: string; jsapi?: string; mini?: string };
  /**
   * The official account's AppSecret (公众平台 → 设置与开发 → 基本配置), 32 characters: with
   * `appId.jsapi`, a checkout link opened inside WeChat signs the buyer in (web OAuth,
   * `snsapi_base`) and pays by JSAPI. Never the API key. See docs/jsapi.md.
   */
  appSecret?: string;
  /**
   * Where WeChat's web OAuth lives: `authorizeBase` (`/connect/oauth2/authorize` is appended;
   * default `https://open.weixin.qq.com`) and `snsBase` (`/sns/oauth2/access_token` is appended;
   * default `https://api.weixin.qq.com`). The sandbox gives its own.
   */
  oauth?: { authorizeBase?: string; snsBase?: string };
  /**
   * Sandbox only: the URL of a script that defines `WeixinJSBridge`, loaded by the JSAPI page.
   * Leave it unset in production: WeChat's browser provides the real bridge.
   */
  bridgeScript?: string;
  v3?: WechatpayV3Options;
  v2?: WechatpayV2Options;
  /** `scene_info.h5_info` of H5 payments. */
  h5?: { appName: string; appUrl?: string; bundleId?: string; packageName?: string };
  /** Base URL of the API: `'production'` (default, `https://api.mch.weixin.qq.com`) or a URL, API paths appended. */
  gateway?: 'production' | (string & {});
  /**
   * Connect and response timeout of each API call in ms. Default 10 s. A call that times out has
   * an unknown outcome: paymount queries before it decides, and retries with the same numbers.
   */
  timeoutMs?: number;
  /** Extra CA (PEM) to trust for the gateway: test environments and the sandbox. */
  ca?: string;
}

/** The named gateways `gateway` accepts besides a URL. */
export const GATEWAYS = { production: 'https://api.mch.weixin.qq.com' } as const;

/** {@link WechatpayV3Options} checked, keys and certificates parsed. */
export interface V3Config {
  apiV3Key: Buffer;
  privateKey: KeyObject;
  serial: string;
  /** `PUB_KEY_ID_…` → WeChat Pay public key. */
  publicKeys: Map<string, KeyObject>;
  /** Certificate mode on: download/refresh from `/v3/certificates`. */
  certificates: boolean;
  /** Platform certificates given as PEMs: serial → certificate. */
  givenCertificates: Map<string, X509Certificate>;
}

/** {@link WechatpayV2Options} checked, the client certificate opened. */
export interface V2Config {
  apiKey: string;
  signType: V2SignType;
  clientCertificate?: { pfx: Buffer; passphrase: string };
}

/** The app id of each channel a merchant uses. */
export type AppIds = Partial<Record<Channel, string>>;

/** The validated configuration, keys parsed once. */
export interface WechatpayConfig {
  mchId: string;
  appIds: AppIds;
  /** Checkout links inside WeChat: set when `appId.jsapi` and `appSecret` are. */
  jsapi?: JsapiConfig;
  v3?: V3Config;
  v2?: V2Config;
  h5?: { appName: string; appUrl?: string; bundleId?: string; packageName?: string };
  /** The API base URL without a trailing slash: paths are appended to it. */
  gateway: string;
  timeoutMs: number;
  ca?: string;
  /** True against WeChat Pay's API hosts (real money): WeChat Pay has no test environment. */
  live: boolean;
}

/** WeChat Pay's API host and its backup (docs/providers/wechatpay.md#api-versions). */
const PRODUCTION_HOSTS = new Set(['api.mch.weixin.qq.com', 'api2.mch.weixin.qq.com']);

const MCH_ID = /^[0-9A-Za-z]{1,32}$/;
const APP_ID = /^[0-9A-Za-z_]{1,32}$/;
const HEX_SERIAL = /^[0-9A-Fa-f]{2,40}$/;

function str(value: unknown, field: string, what: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new ConfigError(field, `is required: ${what}`);
  return value.trim();
}

function checkAppId(value: unknown, field: string): string {
  const id = str(value, field, 'the app id (wx…) bound to your merchant number');
  if (/^\d+$/.test(id))
    throw new ConfigError(field, `"${id}" is all digits, like a merchant number (mchId); the app id looks like "wx…"`);
  if (!APP_ID.test(id))
    throw new ConfigError(field, `"${id}" is not an app id (letters and digits, usually "wx" + 16 hex characters)`);
  return id;
}

function key32(value: unknown, field: string, kind: string): string {
  const key = str(value, field, `the 32-character ${kind}`);
  if (Buffer.byteLength(key, 'utf8') !== 32) {
    throw new ConfigError(
      field,
      `must be exactly 32 characters (the ${kind} set in 商户平台 → API安全), got ${Buffer.byteLength(key, 'utf8')}`,
    );
  }
  return key;
}

/** The gateway URL paths are appended to: no query or fragment, no trailing slash. */
function gatewayBase(href: string): string {
  const url = new URL(href);
  if (url.search || url.hash)
    throw new ConfigError('gateway', 'must not carry a query or fragment: API paths are appended to it');
  return url.href.replace(/\/+$/, '');
}

/** APIv3 signs both ways with SHA256-RSA2048 (docs/providers/wechatpay.md#v3-request-signing). */
const MERCHANT_KEY_RULE =
  'WeChat Pay APIv3 requires 2048-bit RSA (WECHATPAY2-SHA256-RSA2048): use apiclient_key.pem from 商户平台 → API安全';
const PLATFORM_KEY_RULE =
  "WeChat Pay signs with 2048-bit RSA (WECHATPAY2-SHA256-RSA2048): use WeChat Pay's pub_key.pem or its certificate";

function resolveV3(options: WechatpayOptions, v2Key: string | undefined): V3Config | undefined {
  const v3 = options.v3;
  if (v3 === undefined) return undefined;
  if (v3 === null || typeof v3 !== 'object')
    throw new ConfigError('v3', 'must be an object { apiV3Key, privateKey, certificateSerial, … }');
  const apiV3Key = key32(v3.apiV3Key, 'v3.apiV3Key', 'APIv3 key');
  if (v2Key !== undefined && apiV3Key === v2Key) {
    throw new ConfigError(
      'v3.apiV3Key',
      'equals v2.apiKey: the APIv3 key and the API v2 key are two different keys, set separately in 商户平台 → API安全',
    );
  }
  const privateKey = requireRsa(loadPrivateKey(v3.privateKey, 'v3.privateKey'), 'v3.privateKey', MERCHANT_KEY_RULE);
  const serial = merchantSerial(v3.certificateSerial);
  const publicKeys = platformPublicKeys(v3, privateKey);
  const givenCertificates = new Map<string, X509Certificate>();
  let certificates = false;
  const certs = v3.platformCertificates;
  if (certs !== undefined) {
    certificates = true;
    if (certs !== 'download') {
      if (!Array.isArray(certs))
        throw new ConfigError('v3.platformCertificates', "must be 'download' or an array of PEM certificates");
      certs.forEach((pem, i) => {
        const cert = parseCertificate(pem, `v3.platformCertificates[${i}]`);
        requireRsa(cert.publicKey, `v3.platformCertificates[${i}]`, PLATFORM_KEY_RULE);
        if (samePublicKey(cert.publicKey, privateKey)) {
          throw new ConfigError(
            `v3.platformCertificates[${i}]`,
            "is your own merchant certificate (apiclient_cert.pem); platform certificates are WeChat Pay's, " +
              'downloaded from /v3/certificates',
          );
        }
        givenCertificates.set(cert.serialNumber.toUpperCase(), cert);
      });
    }
  }
  if (givenCertificates.has(serial)) {
    throw new ConfigError(
      'v3.certificateSerial',
      'is the serial of a platform certificate: this field takes the serial of your MERCHANT certificate ' +
        '(apiclient_cert.pem)',
    );
  }
  if (publicKeys.size === 0 && !certificates) {
    throw new ConfigError(
      'v3',
      'needs a way to verify WeChat Pay: platformPublicKey + platformPublicKeyId (merchants since 2024–2025 only ' +
        "have these), or platformCertificates: 'download'",
    );
  }
  return { apiV3Key: Buffer.from(apiV3Key, 'utf8'), privateKey, serial, publicKeys, certificates, givenCertificates };
}

/** The merchant certificate's serial, upper-case hex, after the mix-ups users make with it. */
function merchantSerial(value: unknown): string {
  const raw = str(
    value,
    'v3.certificateSerial',
    'the serial of your merchant certificate (openssl x509 -in apiclient_cert.pem -noout -serial)',
  );
  if (raw.startsWith('PUB_KEY_ID_')) {
    throw new ConfigError(
      'v3.certificateSerial',
      'is a WeChat Pay public key id: this field takes the serial of your MERCHANT certificate ' +
        '(apiclient_cert.pem); the PUB_KEY_ID_ goes in v3.platformPublicKeyId',
    );
  }
  const serial = raw.replace(/:/g, '');
  if (/^\d{41,}$/.test(serial)) {
    throw new ConfigError(
      'v3.certificateSerial',
      'looks like a decimal serial (as Java prints it); give the upper-case hex serial (openssl x509 -noout -serial)',
    );
  }
  if (!HEX_SERIAL.test(serial))
    throw new ConfigError(
      'v3.certificateSerial',
      'must be the hex serial of your merchant certificate (40 hex characters)',
    );
  return serial.toUpperCase();
}

/** The WeChat Pay public key, by its `PUB_KEY_ID_…`, when one is configured. */
function platformPublicKeys(v3: WechatpayV3Options, privateKey: KeyObject): Map<string, KeyObject> {
  const publicKeys = new Map<string, KeyObject>();
  const hasKey = v3.platformPublicKey !== undefined;
  const hasKeyId = v3.platformPublicKeyId !== undefined;
  if (hasKey !== hasKeyId) {
    throw new ConfigError(
      hasKey ? 'v3.platformPublicKeyId' : 'v3.platformPublicKey',
      'v3.platformPublicKey and v3.platformPublicKeyId go together (pub_key.pem and its PUB_KEY_ID_… id)',
    );
  }
  if (v3.platformPublicKey === undefined) return publicKeys;
  const id = str(
    v3.platformPublicKeyId,
    'v3.platformPublicKeyId',
    'the id PUB_KEY_ID_… shown next to the WeChat Pay public key',
  );
  if (!id.startsWith('PUB_KEY_ID_')) {
    throw new ConfigError(
      'v3.platformPublicKeyId',
      `must start with PUB_KEY_ID_ (got "${id}"): a platform certificate serial belongs in v3.platformCertificates, ` +
        'your merchant serial in v3.certificateSerial',
    );
  }
  const key = requireRsa(
    loadPublicKey(v3.platformPublicKey, 'v3.platformPublicKey'),
    'v3.platformPublicKey',
    PLATFORM_KEY_RULE,
  );
  if (samePublicKey(key, privateKey)) {
    throw new ConfigError(
      'v3.platformPublicKey',
      "is your merchant key's public half: this field takes WeChat Pay's public key (pub_key.pem)",
    );
  }
  publicKeys.set(id, key);
  return publicKeys;
}

function resolveV2(options: WechatpayOptions): V2Config | undefined {
  const v2 = options.v2;
  if (v2 === undefined) return undefined;
  if (v2 === null || typeof v2 !== 'object')
    throw new ConfigError('v2', 'must be an object { apiKey, signType?, clientCertificate? }');
  const apiKey = key32(v2.apiKey, 'v2.apiKey', 'API v2 key');
  const signType = v2.signType ?? 'MD5';
  if (signType !== 'MD5' && signType !== 'HMAC-SHA256')
    throw new ConfigError('v2.signType', `must be 'MD5' or 'HMAC-SHA256', got ${JSON.stringify(signType)}`);
  const clientCertificate =
    v2.clientCertificate === undefined
      ? undefined
      : openClientCertificate(v2.clientCertificate, 'v2.clientCertificate');
  return { apiKey, signType, clientCertificate };
}

function resolveAppIds(appId: WechatpayOptions['appId'], mchId: string): AppIds {
  const appIds: AppIds = {};
  if (typeof appId === 'object' && appId !== null) {
    for (const key of Object.keys(appId)) {
      if (!(CHANNELS as readonly string[]).includes(key))
        throw new ConfigError(`appId.${key}`, `is not a channel: appId takes ${CHANNELS.join(', ')}`);
    }
    for (const channel of CHANNELS) {
      const value = appId[channel];
      if (value !== undefined) appIds[channel] = checkAppId(value, `appId.${channel}`);
    }
    if (Object.keys(appIds).length === 0)
      throw new ConfigError('appId', `needs the app id of at least one channel (${CHANNELS.join(', ')})`);
  } else {
    const id = checkAppId(appId, 'appId');
    for (const channel of CHANNELS) appIds[channel] = id;
  }
  if (Object.values(appIds).includes(mchId))
    throw new ConfigError('appId', 'equals mchId: the app id (wx…) and the merchant number are different things');
  return appIds;
}

/** The app id a call names when it has no record of its own (an order checked out before a restart). */
export function defaultAppId(config: WechatpayConfig): string {
  const { wap, jsapi, app, mini } = config.appIds;
  const appId = wap ?? jsapi ?? app ?? mini;
  // resolveAppIds refuses a configuration without any app id.
  if (appId === undefined) throw new Error('WeChat Pay configuration has no app id');
  return appId;
}

function resolveH5(h5: WechatpayOptions['h5']): WechatpayOptions['h5'] {
  if (
    h5 !== undefined &&
    (h5 === null || typeof h5 !== 'object' || typeof h5.appName !== 'string' || h5.appName === '')
  ) {
    throw new ConfigError('h5.appName', 'is required when h5 is given: the site or app name shown for H5 payments');
  }
  if (h5?.appUrl !== undefined) {
    try {
      new URL(h5.appUrl);
    } catch {
      throw new ConfigError('h5.appUrl', `must be an absolute URL, got ${JSON.stringify(h5.appUrl)}`);
    }
  }
  return h5;
}

/** Validates the options up front; one {@link ConfigError} per mistake, naming the field and the likely mix-up. */
export function resolveWechatpayConfig(options: WechatpayOptions): WechatpayConfig {
  if (options === null || typeof options !== 'object')
    throw new ConfigError('options', 'wechatpay() needs { mchId, appId, v3 and/or v2 }');
  const mchId = str(options.mchId, 'mchId', 'your merchant number (商户号)');
  if (/^wx/i.test(mchId))
    throw new ConfigError(
      'mchId',
      `"${mchId}" looks like an app id; mchId is the merchant number (商户号, usually 10 digits)`,
    );
  if (!MCH_ID.test(mchId))
    throw new ConfigError('mchId', `"${mchId}" is not a merchant number (商户号, usually 10 digits)`);
  const appIds = resolveAppIds(options.appId, mchId);

  if (options.v3 === undefined && options.v2 === undefined) {
    throw new ConfigError(
      'v3',
      'configure API v3 ({ apiV3Key, privateKey, certificateSerial, platformPublicKey … }) or API v2 ({ apiKey })',
    );
  }
  const v2 = resolveV2(options);
  const v3 = resolveV3(options, v2?.apiKey);
  const h5 = resolveH5(options.h5);
  const transport = resolveTransport(options, GATEWAYS, 'production');
  const jsapi = resolveJsapi(options, { mchId, appIds, keys: [v2?.apiKey, v3?.apiV3Key.toString('utf8')] });
  return {
    mchId,
    appIds,
    ...(jsapi ? { jsapi } : {}),
    v3,
    v2,
    h5,
    gateway: gatewayBase(transport.gateway),
    timeoutMs: transport.timeoutMs,
    ca: transport.ca,
    live: PRODUCTION_HOSTS.has(new URL(transport.gateway).host),
  };
}
