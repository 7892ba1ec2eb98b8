import { createPublicKey, type KeyObject } from 'node:crypto';
import { ConfigError } from '../../errors/index.js';
import { resolveTransport } from '../../wire/endpoint.js';
import { loadPrivateKey, loadPublicKey, requireRsa, samePublicKey, type KeyInput } from '../../wire/keys.js';
import { parseCertificate, pemText, type CertificateInput } from '../../wire/pem.js';
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
    appCert: CertificateInput;
    /** `alipayCertPublicKey_RSA2.crt` */
    alipayCert: CertificateInput;
    /** `alipayRootCert.crt` (several certificates) */
    alipayRootCert: CertificateInput;
  };
  /** `production` (default), `sandbox` (Alipay's own sandbox), or a gateway URL ending in `gateway.do`. */
  gateway?: 'production' | 'sandbox' | (string & {});
  /** Your seller id (`2088…`, 16 digits). When given, notifies for another seller are refused. */
  sellerId?: string;
  /** How WAP checkout reaches the cashier: a redirect URL (`GET`, default) or an auto-submitting form (`POST`). */
  wapMethod?: 'GET' | 'POST';
  /** Connect and response timeout of API calls in ms. Default 10 s. */
  timeoutMs?: number;
  /** Extra CA certificates (PEM) to trust for the gateway: test environments and the sandbox. */
  ca?: string;
}

/** The gateways of Alipay's named environments. */
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
  timeoutMs: number;
  ca: string | undefined;
  sellerId?: string;
  wapMethod: 'GET' | 'POST';
  /** Certificate mode only. */
  certs?: { appCertSn: string; rootCertSn: string; alipayCertSn: string };
  /** True against Alipay's production gateway (real money). */
  live: boolean;
}

/**
 * paymount signs and verifies with RSA2 only (SHA256withRSA, 2048-bit keys), the sign type Alipay
 * requires of new apps (docs/providers/alipay.md#keys).
 */
const APP_KEY_RULE =
  "Alipay requires RSA2 (2048-bit RSA): generate the app key with Alipay's key tool (密钥工具) and upload its public half";
const ALIPAY_KEY_RULE =
  "Alipay requires RSA2 (2048-bit RSA): copy the Alipay public key (支付宝公钥) shown next to your app's RSA2 key";

/** Validates {@link AlipayOptions}; each mistake is one {@link ConfigError} naming the field. */
export function resolveAlipayConfig(options: AlipayOptions): AlipayConfig {
  if (!options || typeof options !== 'object') throw new ConfigError('alipay', 'needs an options object');
  const { appId } = options;
  if (typeof appId !== 'string' || !/^\d{16}$/.test(appId))
    throw new ConfigError('appId', 'must be the 16-digit app id from the open platform');
  if (appId.startsWith('2088'))
    throw new ConfigError('appId', 'looks like your partner id (PID, 2088…): use the app id from the open platform');
  const privateKey = requireRsa(loadPrivateKey(options.privateKey, 'privateKey'), 'privateKey', APP_KEY_RULE);

  if ((options.alipayPublicKey === undefined) === (options.certificates === undefined)) {
    throw new ConfigError(
      'alipayPublicKey',
      'give either alipayPublicKey (public-key mode) or certificates (certificate mode), exactly one',
    );
  }
  const mode =
    options.alipayPublicKey !== undefined
      ? publicKeyMode(options.alipayPublicKey, createPublicKey(privateKey))
      : options.certificates !== undefined
        ? certificateMode(options.certificates, createPublicKey(privateKey))
        : undefined;
  // The either-or check above leaves exactly one of the two.
  if (!mode) throw new Error('alipay options have neither alipayPublicKey nor certificates');
  const { alipayKey, certs } = mode;

  const transport = resolveTransport(options, GATEWAYS, 'production');
  if (options.sellerId !== undefined && !/^2088\d{12}$/.test(options.sellerId)) {
    throw new ConfigError('sellerId', 'must be your 16-digit seller id starting with 2088');
  }
  const wapMethod = options.wapMethod ?? 'GET';
  if (wapMethod !== 'GET' && wapMethod !== 'POST') throw new ConfigError('wapMethod', 'must be "GET" or "POST"');

  return {
    appId,
    privateKey,
    alipayKey,
    gateway: transport.gateway,
    timeoutMs: transport.timeoutMs,
    ca: transport.ca,
    sellerId: options.sellerId,
    wapMethod,
    certs,
    live: new URL(transport.gateway).host === new URL(GATEWAYS.production).host,
  };
}

type AlipayVerifier = Pick<AlipayConfig, 'alipayKey' | 'certs'>;

function publicKeyMode(input: KeyInput, appPublic: KeyObject): AlipayVerifier {
  const alipayKey = requireRsa(loadPublicKey(input, 'alipayPublicKey'), 'alipayPublicKey', ALIPAY_KEY_RULE);
  // The most common mix-up: pasting the app public key where Alipay's belongs.
  if (samePublicKey(alipayKey, appPublic)) {
    throw new ConfigError(
      'alipayPublicKey',
      'looks like your app public key: use the Alipay public key the open platform shows after you upload yours',
    );
  }
  return { alipayKey };
}

function certificateMode(files: NonNullable<AlipayOptions['certificates']>, appPublic: KeyObject): AlipayVerifier {
  const appCert = parseCertificate(files.appCert, 'certificates.appCert');
  const alipayCert = parseCertificate(files.alipayCert, 'certificates.alipayCert');
  requireRsa(alipayCert.publicKey, 'certificates.alipayCert', ALIPAY_KEY_RULE);
  const rootPem = pemText(files.alipayRootCert, 'certificates.alipayRootCert');
  if (!samePublicKey(appCert.publicKey, appPublic)) {
    if (samePublicKey(alipayCert.publicKey, appPublic))
      throw new ConfigError('certificates', 'appCert and alipayCert look swapped');
    throw new ConfigError(
      'certificates.appCert',
      'does not belong to privateKey: use the app certificate issued for this key',
    );
  }
  const rootSn = rootCertSn(rootPem);
  if (!rootSn)
    throw new ConfigError('certificates.alipayRootCert', 'holds no RSA-signed certificate: use alipayRootCert.crt');
  return {
    alipayKey: alipayCert.publicKey,
    certs: { appCertSn: certSn(appCert), rootCertSn: rootSn, alipayCertSn: certSn(alipayCert) },
  };
}
