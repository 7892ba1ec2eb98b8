import { X509Certificate, type KeyObject } from 'node:crypto';
import { SignatureError } from '../../errors/index.js';
import { rsaVerify } from '../../wire/rsa.js';
import { signingDigest, type AcpFields } from './sign.js';

/** The trust configuration: UnionPay's middle and root CAs, parsed and checked once. */
export interface TrustAnchors {
  middle: X509Certificate;
  root: X509Certificate;
  /**
   * Production applies the strict CN rule; the test environment's rule is looser
   * (docs/providers/unionpay.md#chain-and-cn-rule).
   */
  production: boolean;
}

/** A `signPubKeyCert` that passed the chain and CN checks; only its dates are re-checked per message. */
interface TrustedCert {
  key: KeyObject;
  /** The window in which the whole chain (leaf, middle, root) is valid, in ms since the epoch. */
  notBefore: number;
  notAfter: number;
}

/** Verifies a received ACP message in place; throws {@link SignatureError} naming what failed. */
export type AcpVerifier = (fields: Readonly<AcpFields>) => void;

const MAX_CACHED = 32;
const MAX_PEM = 8 * 1024;

const validity = (cert: X509Certificate) => ({ from: Date.parse(cert.validFrom), to: Date.parse(cert.validTo) });

/** The company name UnionPay's signing certificates carry in slot [2] of their CN. */
const UNIONPAY_NAME = '中国银联股份有限公司';
/** What the pre-2020 *test* signing certificates carried in that slot instead. */
const TEST_SIGN_SLOT = '00040000:SIGN';

/**
 * UnionPay's CN rule, exactly as the official SDKs apply it
 * (docs/providers/unionpay.md#chain-and-cn-rule): split the subject CN on `@`, take element [2].
 * Production accepts only UnionPay's company name; the test environment's rule
 * (`ifValidateCNName=false`) also accepts `00040000:SIGN`. Fewer than three parts fail.
 */
function unionpayCnOk(cn: string | undefined, production: boolean): boolean {
  const slot = cn?.split('@')[2];
  if (slot === undefined) return false;
  return slot === UNIONPAY_NAME || (!production && slot === TEST_SIGN_SLOT);
}

/** The subject CN as UTF-8 text (`toLegacyObject` decodes UTF8String attributes). */
function commonName(cert: X509Certificate): string | undefined {
  const cn = (cert.toLegacyObject().subject as unknown as Record<string, string | string[] | undefined>).CN;
  return Array.isArray(cn) ? cn[cn.length - 1] : cn;
}

/**
 * Builds the 5.1.0 verifier (docs/providers/unionpay.md#verification). The message carries UnionPay's
 * signing certificate; it is trusted only when issued and signed by the configured middle CA (itself
 * checked against the root at configuration time), valid at `clock()`, and named per UnionPay's CN
 * rule. A verified certificate is cached by its exact PEM text, so a known certificate costs one RSA
 * verify per message and the chain check runs once per certificate.
 */
export function createVerifier(anchors: TrustAnchors, clock: () => Date): AcpVerifier {
  const trusted = new Map<string, TrustedCert>();
  const mid = validity(anchors.middle);
  const root = validity(anchors.root);

  function trust(pem: string): TrustedCert {
    const known = trusted.get(pem);
    if (known) return known;
    if (pem.length > MAX_PEM) throw new SignatureError('signPubKeyCert is too large to be a certificate');
    let leaf: X509Certificate;
    try {
      leaf = new X509Certificate(pem);
    } catch {
      throw new SignatureError('signPubKeyCert is not a PEM certificate (truncated, or a form parser altered it)');
    }
    if (!leaf.checkIssued(anchors.middle) || !leaf.verify(anchors.middle.publicKey)) {
      throw new SignatureError(
        'signPubKeyCert is not issued by the configured middleCert: a forged message, or UnionPay ' +
          'test-environment certificates configured against production (or the reverse)',
      );
    }
    const cn = commonName(leaf);
    if (!unionpayCnOk(cn, anchors.production)) {
      throw new SignatureError(
        `signPubKeyCert CN ${JSON.stringify(cn ?? '')} is not a UnionPay signing certificate ` +
          "(CN part [2] must be UnionPay's company name)",
      );
    }
    const own = validity(leaf);
    const entry: TrustedCert = {
      key: leaf.publicKey,
      notBefore: Math.max(own.from, mid.from, root.from),
      notAfter: Math.min(own.to, mid.to, root.to),
    };
    if (trusted.size >= MAX_CACHED) trusted.delete(trusted.keys().next().value!);
    trusted.set(pem, entry);
    return entry;
  }

  return (fields) => {
    const signature = fields.signature;
    const pem = fields.signPubKeyCert;
    if (!signature || !pem) {
      throw new SignatureError(
        'the message has no signature or no signPubKeyCert: ' +
          'only ACP 5.1.0 with signMethod 01 (certificate signing) is accepted',
      );
    }
    if (fields.signMethod !== '01') {
      throw new SignatureError(
        `signMethod ${JSON.stringify(fields.signMethod ?? '')} is not 01: only certificate (RSA) signing is accepted`,
      );
    }
    const cert = trust(pem);
    const now = clock().getTime();
    if (now < cert.notBefore || now > cert.notAfter) {
      throw new SignatureError(
        `signPubKeyCert (or its middle/root CA) is not valid at ${new Date(now).toISOString()}: ` +
          `valid ${new Date(cert.notBefore).toISOString()} to ${new Date(cert.notAfter).toISOString()}`,
      );
    }
    if (!rsaVerify(cert.key, signingDigest(fields), signature, 'sha256')) {
      throw new SignatureError(
        'UnionPay signature does not verify: a field was changed, a field was added (e.g. a query string ' +
          'merged into the form), or signPubKeyCert line breaks were normalised',
      );
    }
  };
}
