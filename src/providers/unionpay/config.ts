import type { KeyObject, X509Certificate } from 'node:crypto';
import { ConfigError } from '../../errors/index.js';
import { resolveTransport, type TransportOptions } from '../../wire/endpoint.js';
import { parseCertificate, pemText, type CertificateInput } from '../../wire/pem.js';
import { requireRsa } from '../../wire/keys.js';
import { openPfx, SIGN_KEY_RULE } from './pfx.js';

/** Options of {@link unionpay}: the merchant number, the signing .pfx and UnionPay's two CA certificates. */
export interface UnionpayOptions extends TransportOptions {
  /** Merchant number (商户号), 15 digits, e.g. `777290058110048` on the test environment. */
  merId: string;
  /**
   * The merchant signing certificate with its private key (`acp_prod_sign.pfx` / `acp_test_sign.pfx`):
   * the file as a Buffer or as base64 text, and its passphrase. Legacy RC2-40/3DES files open too.
   */
  signCert: { pfx: Buffer | string; passphrase: string };
  /** UnionPay's middle (intermediate) CA, PEM: `acp_prod_middle.cer` / `acp_test_middle.cer`. */
  middleCert: CertificateInput;
  /** UnionPay's root CA, PEM: `acp_prod_root.cer` / `acp_test_root.cer`. */
  rootCert: CertificateInput;
  /**
   * `production` (default, `https://gateway.95516.com`), `test` (`https://gateway.test.95516.com`),
   * or a base URL (e.g. the sandbox's); `/gateway/api/*.do` is appended.
   */
  gateway?: 'production' | 'test' | string;
  /** Connect and response timeout of server-to-server calls in ms. Default 10 s. */
  timeoutMs?: number;
  /**
   * Extra CA certificates (PEM) to trust for the gateway's TLS certificate, added to Node's root
   * store: a test environment or a sandbox behind HTTPS with its own CA. Not UnionPay's signing
   * CAs: those are `middleCert` and `rootCert`.
   */
  ca?: string;
}

/** The base URLs of UnionPay's named environments. */
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
  ca: string | undefined;
}

/** UnionPay's `.cer` files are PEM, but DER copies circulate: a non-PEM file gets the conversion hint. */
function certificate(value: CertificateInput, field: string): X509Certificate {
  try {
    pemText(value, field);
  } catch (error) {
    const problem = error instanceof ConfigError ? error.problem : String(error);
    throw new ConfigError(field, `${problem}; convert a DER .cer with openssl x509 -inform der`);
  }
  return parseCertificate(value, field);
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
  const notCa = 'is not a CA certificate (an end-entity certificate such as the merchant or UnionPay signing cert?)';
  if (!root.ca) throw new ConfigError('rootCert', `${notCa}: use acp_*_root.cer`);
  if (!middle.ca) throw new ConfigError('middleCert', `${notCa}: use acp_*_middle.cer`);
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

/** The gateway's base URL (the endpoints' paths are appended to it) and whether it is production. */
function baseOf(gateway: string): { base: string; production: boolean } {
  const url = new URL(gateway);
  if (url.search || url.hash) {
    throw new ConfigError('gateway', `must be a base URL without query or fragment, got ${JSON.stringify(gateway)}`);
  }
  const base = url.href.replace(/\/+$/, '');
  return { base, production: base === GATEWAYS.production };
}

/** UnionPay's CAs are RSA, like every key of version 5.1.0 (docs/providers/unionpay.md#certificates). */
const CA_KEY_RULE = "UnionPay's certificates are 2048-bit RSA: use acp_*_middle.cer and acp_*_root.cer as downloaded";

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
  requireRsa(identity.key, 'signCert', SIGN_KEY_RULE);
  const middle = certificate(options.middleCert, 'middleCert');
  requireRsa(middle.publicKey, 'middleCert', CA_KEY_RULE);
  const root = certificate(options.rootCert, 'rootCert');
  requireRsa(root.publicKey, 'rootCert', CA_KEY_RULE);
  checkAnchors(middle, root);
  if (identity.cert.fingerprint256 === middle.fingerprint256 || identity.cert.fingerprint256 === root.fingerprint256) {
    throw new ConfigError('signCert', 'holds a CA certificate as its key pair: use the merchant signing .pfx');
  }
  const transport = resolveTransport(options, GATEWAYS, 'production');
  const { base, production } = baseOf(transport.gateway);
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
    timeoutMs: transport.timeoutMs,
    ca: transport.ca,
  };
}
