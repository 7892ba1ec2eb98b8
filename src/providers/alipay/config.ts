import { createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { ConfigError } from '../../errors/index.js';
import { loadPrivateKey, loadPublicKey, samePublicKey, type KeyInput } from '../../wire/keys.js';
import { certSn, rootCertSn } from './cert-sn.js';

/** Options of {@link alipay}. */
export interface AlipayOptions {
  /** The app id (16 digits, e.g. `2021000122671080`), not the `2088…` partner id. */
  appId: string;
  /** Your app private key: PKCS#8 or PKCS#1, PEM or the bare base64 Alipay's key tool prints. */
  privateKey: KeyInput;
  /** Public-key mode: the *Alipay* public key shown after you uploaded yours (not your app public key). */
  alipayPublicKey?: KeyInput;
  /** Certificate mode: the three files downloaded from the open platform (PEM text). */
  certificates?: {
    /** `appCertPublicKey_<appid>.crt` */
    appCert: string | Buffer;
    /** `alipayCertPublicKey_RSA2.crt` */
    alipayCert: string | Buffer;
    /** `alipayRootCert.crt` (several certificates) */
    alipayRootCert: string | Buffer;
  };
  /** `production` (default), `sandbox` (Alipay's own sandbox), or a gateway URL ending in `gateway.do`. */
  gateway?: 'production' | 'sandbox' | string;
  /** Your seller id (`2088…`, 16 digits). When given, notifies for another seller are refused. */
  sellerId?: string;
  /** How WAP checkout reaches the cashier: a redirect URL (`GET`, default) or an auto-submitting form (`POST`). */
  wapMethod?: 'GET' | 'POST';
  /** Timeout of API calls in ms. Default 10 s. */
  timeoutMs?: number;
  /** Extra CA (PEM) to trust for the gateway, for test environments. */
  ca?: string;
}

export const GATEWAYS = {
  production: 'https://openapi.alipay.com/gateway.do',
  sandbox: 'https://openapi-sandbox.dl.alipaydev.com/gateway.do',
} as const;

/** Options checked and parsed once: keys are `KeyObject`s, certificate SNs computed. */
export interface AlipayConfig {
  appId: string;
  privateKey: KeyObject;
  alipayKey: KeyObject;
  gateway: string;
  sellerId?: string;
  wapMethod: 'GET' | 'POST';
  timeoutMs: number;
  ca?: string;
  /** Certificate mode only. */
  certs?: { appCertSn: string; rootCertSn: string; alipayCertSn: string };
}

function text(value: string | Buffer, field: string): string {
  const s = Buffer.isBuffer(value) ? value.toString('utf8') : value;
  if (typeof s !== 'string' || !s.includes('-----BEGIN CERTIFICATE-----'))
    throw new ConfigError(field, 'must be the PEM text of the certificate file');
  return s;
}

function certificate(pem: string, field: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (cause) {
    throw new ConfigError(field, 'could not be parsed as an X.509 certificate', { cause });
  }
}

/** Validates {@link AlipayOptions}; each mistake is one {@link ConfigError} naming the field. */
export function resolveAlipayConfig(options: AlipayOptions): AlipayConfig {
  if (!options || typeof options !== 'object') throw new ConfigError('alipay', 'needs an options object');
  const { appId } = options;
  if (typeof appId !== 'string' || !/^\d{16}$/.test(appId))
    throw new ConfigError('appId', 'must be the 16-digit app id from the open platform');
  if (appId.startsWith('2088'))
    throw new ConfigError('appId', 'looks like your partner id (PID, 2088…): use the app id from the open platform');
  const privateKey = loadPrivateKey(options.privateKey, 'privateKey');
  const appPublic = createPublicKey(privateKey);

  if ((options.alipayPublicKey === undefined) === (options.certificates === undefined)) {
    throw new ConfigError(
      'alipayPublicKey',
      'give either alipayPublicKey (public-key mode) or certificates (certificate mode), exactly one',
    );
  }

  let alipayKey: KeyObject;
  let certs: AlipayConfig['certs'];
  if (options.alipayPublicKey !== undefined) {
    alipayKey = loadPublicKey(options.alipayPublicKey, 'alipayPublicKey');
    if (samePublicKey(alipayKey, appPublic)) {
      throw new ConfigError(
        'alipayPublicKey',
        'looks like your app public key: use the Alipay public key the open platform shows after you upload yours',
      );
    }
  } else {
    const c = options.certificates!;
    const appPem = text(c.appCert, 'certificates.appCert');
    const alipayPem = text(c.alipayCert, 'certificates.alipayCert');
    const rootPem = text(c.alipayRootCert, 'certificates.alipayRootCert');
    const appCert = certificate(appPem, 'certificates.appCert');
    const alipayCert = certificate(alipayPem, 'certificates.alipayCert');
    if (!samePublicKey(appCert.publicKey, appPublic)) {
      if (samePublicKey(alipayCert.publicKey, appPublic))
        throw new ConfigError('certificates', 'appCert and alipayCert look swapped');
      throw new ConfigError(
        'certificates.appCert',
        'does not belong to privateKey: use the app certificate issued for this key',
      );
    }
    alipayKey = alipayCert.publicKey;
    const rootSn = rootCertSn(rootPem);
    if (!rootSn)
      throw new ConfigError('certificates.alipayRootCert', 'holds no RSA-signed certificate: use alipayRootCert.crt');
    certs = { appCertSn: certSn(appCert), rootCertSn: rootSn, alipayCertSn: certSn(alipayCert) };
  }

  const gatewayName = options.gateway ?? 'production';
  let gateway: string = gatewayName in GATEWAYS ? GATEWAYS[gatewayName as keyof typeof GATEWAYS] : gatewayName;
  try {
    const url = new URL(gateway);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error();
    gateway = url.href;
  } catch {
    throw new ConfigError(
      'gateway',
      `must be "production", "sandbox" or a gateway URL, got ${JSON.stringify(options.gateway)}`,
    );
  }

  if (options.sellerId !== undefined && !/^2088\d{12}$/.test(options.sellerId)) {
    throw new ConfigError('sellerId', 'must be your 16-digit seller id starting with 2088');
  }
  const wapMethod = options.wapMethod ?? 'GET';
  if (wapMethod !== 'GET' && wapMethod !== 'POST') throw new ConfigError('wapMethod', 'must be "GET" or "POST"');
  const timeoutMs = options.timeoutMs ?? 10_000;
  if (!(timeoutMs > 0)) throw new ConfigError('timeoutMs', 'must be a positive number of milliseconds');

  return {
    appId,
    privateKey,
    alipayKey,
    gateway,
    sellerId: options.sellerId,
    wapMethod,
    timeoutMs,
    ca: options.ca,
    certs,
  };
}
