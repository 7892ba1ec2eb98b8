import { X509Certificate, type KeyObject } from 'node:crypto';
import { ConfigError } from '../../errors/index.js';
import { openPfx } from './pfx.js';

/** Options of {@link unionpay}: the merchant number, the signing .pfx and UnionPay's two CA certificates. */
export interface UnionpayOptions {
  /** Merchant number (商户号), 15 digits, e.g. `777290058110048` on the test environment. */
  merId: string;
  /**
   * The merchant signing certificate with its private key (`acp_prod_sign.pfx` / `acp_test_sign.pfx`):
   * the file as a Buffer or as base64 text, and its passphrase. Legacy RC2-40/3DES files open too.
   */
  signCert: { pfx: Buffer | string; passphrase: string };
  /** UnionPay's middle (intermediate) CA, PEM: `acp_prod_middle.cer` / `acp_test_middle.cer`. */
  middleCert: string | Buffer;
  /** UnionPay's root CA, PEM: `acp_prod_root.cer` / `acp_test_root.cer`. */
  rootCert: string | Buffer;
  /**
   * `production` (default, `https://gateway.95516.com`), `test` (`https://gateway.test.95516.com`),
   * or a base URL (e.g. the sandbox's); `/gateway/api/*.do` is appended.
   */
  gateway?: 'production' | 'test' | string;
  /** Timeout of server-to-server calls in ms. Default 10 s. */
  timeoutMs?: number;
}

export const GATEWAYS = {
  production: 'https://gateway.95516.com',
  test: 'https://gateway.test.95516.com',
} as const;

/** {@link UnionpayOptions} checked and parsed once. */
export interface UnionpayConfig {
  merId: string;
  signingKey: KeyObject;
  certId: string;
  middle: X509Certificate;
  root: X509Certificate;
  /** True against UnionPay's production gateway: strict CN rule, app `mode` "00". */
  production: boolean;
  endpoints: { front: string; app: string; back: string; query: string };
  timeoutMs: number;
}

function certificate(value: unknown, field: string): X509Certificate {
  const text = Buffer.isBuffer(value) ? value.toString('latin1') : value;
  if (typeof text !== 'string' || !text.includes('-----BEGIN CERTIFICATE-----')) {
    throw new ConfigError(
      field,
      'must be the PEM text of the certificate file (-----BEGIN CERTIFICATE-----); convert a DER .cer with openssl x509 -inform der',
    );
  }
  try {
    return new X509Certificate(text);
  } catch (cause) {
    throw new ConfigError(field, 'could not be parsed as an X.509 certificate (truncated or altered?)', { cause });
  }
}

const selfSigned = (cert: X509Certificate) => cert.checkIssued(cert) && cert.verify(cert.publicKey);
const issuedBy = (cert: X509Certificate, issuer: X509Certificate) =>
  cert.checkIssued(issuer) && cert.verify(issuer.publicKey);

/** Checks the CA pair the way verification will use it, so a wrong file fails at startup, not at the first notify. */
function checkAnchors(middle: X509Certificate, root: X509Certificate): void {
  if (selfSigned(middle) && !selfSigned(root)) {
    throw new ConfigError(
      'middleCert',
      'is a self-signed root certificate and rootCert is not: middleCert and rootCert look swapped',
    );
  }
  if (!root.ca)
    throw new ConfigError(
      'rootCert',
      'is not a CA certificate (an end-entity certificate such as the merchant or UnionPay signing cert?): use acp_*_root.cer',
    );
  if (!middle.ca)
    throw new ConfigError(
      'middleCert',
      'is not a CA certificate (an end-entity certificate such as the merchant or UnionPay signing cert?): use acp_*_middle.cer',
    );
  if (!selfSigned(root)) throw new ConfigError('rootCert', 'is not a self-signed root certificate: use acp_*_root.cer');
  if (middle.fingerprint256 === root.fingerprint256)
    throw new ConfigError('middleCert', 'is the same certificate as rootCert: use acp_*_middle.cer');
  if (!issuedBy(middle, root)) {
    throw new ConfigError(
      'middleCert',
      'is not issued by rootCert: the two files come from different environments (test vs production)',
    );
  }
}

function gatewayOf(value: unknown): { base: string; production: boolean } {
  const name = value ?? 'production';
  const base = typeof name === 'string' && name in GATEWAYS ? GATEWAYS[name as keyof typeof GATEWAYS] : name;
  try {
    if (typeof base !== 'string') throw new Error('not a string');
    const url = new URL(base);
    if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.search || url.hash)
      throw new Error('not http(s)');
    const clean = url.href.replace(/\/+$/, '');
    return { base: clean, production: clean === GATEWAYS.production };
  } catch {
    throw new ConfigError(
      'gateway',
      `must be "production", "test" or a base URL such as "https://gateway.test.95516.com", got ${JSON.stringify(value)}`,
    );
  }
}

/** Validates {@link UnionpayOptions}: one {@link ConfigError} per mistake, naming the field. */
export function resolveUnionpayConfig(options: UnionpayOptions): UnionpayConfig {
  if (!options || typeof options !== 'object') throw new ConfigError('unionpay', 'needs an options object');
  const { merId } = options;
  if (typeof merId !== 'string' || !/^\d{15}$/.test(merId)) {
    throw new ConfigError('merId', `must be the 15-digit merchant number (商户号), got ${JSON.stringify(merId)}`);
  }
  if (!options.signCert || typeof options.signCert !== 'object') {
    throw new ConfigError(
      'signCert',
      'must be { pfx, passphrase }: the signing .pfx file (Buffer or base64) and its passphrase',
    );
  }
  const identity = openPfx(options.signCert.pfx, options.signCert.passphrase, 'signCert');
  const middle = certificate(options.middleCert, 'middleCert');
  const root = certificate(options.rootCert, 'rootCert');
  checkAnchors(middle, root);
  if (identity.cert.fingerprint256 === middle.fingerprint256 || identity.cert.fingerprint256 === root.fingerprint256) {
    throw new ConfigError('signCert', 'holds a CA certificate as its key pair: use the merchant signing .pfx');
  }
  const { base, production } = gatewayOf(options.gateway);
  const timeoutMs = options.timeoutMs ?? 10_000;
  if (!(typeof timeoutMs === 'number' && timeoutMs > 0))
    throw new ConfigError('timeoutMs', 'must be a positive number of milliseconds');
  return {
    merId,
    signingKey: identity.key,
    certId: identity.certId,
    middle,
    root,
    production,
    endpoints: {
      front: `${base}/gateway/api/frontTransReq.do`,
      app: `${base}/gateway/api/appTransReq.do`,
      back: `${base}/gateway/api/backTransReq.do`,
      query: `${base}/gateway/api/queryTrans.do`,
    },
    timeoutMs,
  };
}
