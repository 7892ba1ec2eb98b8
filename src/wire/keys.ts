import { createPrivateKey, createPublicKey, KeyObject, X509Certificate } from 'node:crypto';
import { ConfigError } from '../errors/index.js';

/** A key as users have it: PEM text, the bare base64 that key tools print, DER bytes, or a KeyObject. */
export type KeyInput = string | Buffer | KeyObject;

const ARMOR = /-----(BEGIN|END) ([A-Z0-9 ]+)-----/g;

/** Strips PEM armor and whitespace; returns the DER bytes, or undefined when it is not base64. */
function derOf(text: string): Buffer | undefined {
  const body = text.replace(ARMOR, '').replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body)) return undefined;
  return Buffer.from(body, 'base64');
}

function armorLabel(text: string): string | undefined {
  return /-----BEGIN ([A-Z0-9 ]+)-----/.exec(text)?.[1];
}

/**
 * Parses a private key once. Accepts PKCS#8 or PKCS#1, PEM or bare base64 (Alipay's key tool
 * prints PKCS#8 bare base64; many tutorials wrap a PKCS#8 body in an `RSA PRIVATE KEY` header),
 * so the armor is ignored and the DER is tried as both.
 */
export function loadPrivateKey(input: KeyInput, field: string): KeyObject {
  if (input instanceof KeyObject) {
    if (input.type !== 'private') throw new ConfigError(field, `expected a private key, got a ${input.type} key`);
    return input;
  }
  const text = Buffer.isBuffer(input) ? input.toString('latin1') : String(input ?? '');
  if (!text.trim()) throw new ConfigError(field, 'is empty: give the private key as PEM text or bare base64');
  const label = armorLabel(text);
  if (label && /PUBLIC KEY|CERTIFICATE/.test(label)) {
    throw new ConfigError(
      field,
      `is a ${label.toLowerCase()}, not a private key: this field takes your own private key`,
    );
  }
  if (label && /ENCRYPTED/.test(label)) {
    throw new ConfigError(
      field,
      'is an encrypted private key: decrypt it first (openssl pkcs8 -in key.pem -out plain.pem)',
    );
  }
  const der = Buffer.isBuffer(input) && !label && !/^[A-Za-z0-9+/=\s]+$/.test(text) ? input : derOf(text);
  if (!der)
    throw new ConfigError(field, 'is not a PEM or base64 private key (check for stray characters or a truncated copy)');
  for (const type of ['pkcs8', 'pkcs1'] as const) {
    try {
      return createPrivateKey({ key: der, format: 'der', type });
    } catch {
      // try the next encoding
    }
  }
  throw new ConfigError(
    field,
    'could not be parsed as a PKCS#8 or PKCS#1 private key (is it complete? is it a public key?)',
  );
}

/**
 * Parses a public key once: SPKI (`BEGIN PUBLIC KEY` or bare base64), PKCS#1 (`BEGIN RSA PUBLIC
 * KEY`), or the key of an X.509 certificate.
 */
export function loadPublicKey(input: KeyInput | X509Certificate, field: string): KeyObject {
  if (input instanceof X509Certificate) return input.publicKey;
  if (input instanceof KeyObject) {
    if (input.type === 'private') throw new ConfigError(field, 'is a private key: this field takes a public key');
    return input;
  }
  const text = Buffer.isBuffer(input) ? input.toString('latin1') : String(input ?? '');
  if (!text.trim()) throw new ConfigError(field, 'is empty: give the public key as PEM text or bare base64');
  const label = armorLabel(text);
  if (label && /PRIVATE KEY/.test(label))
    throw new ConfigError(field, 'is a private key: this field takes a public key');
  if (label === 'CERTIFICATE') {
    try {
      return new X509Certificate(text).publicKey;
    } catch (cause) {
      throw new ConfigError(field, 'is a certificate that could not be parsed', { cause });
    }
  }
  const der = derOf(text);
  if (!der) throw new ConfigError(field, 'is not a PEM or base64 public key');
  const attempts = label === 'RSA PUBLIC KEY' ? (['pkcs1', 'spki'] as const) : (['spki', 'pkcs1'] as const);
  for (const type of attempts) {
    try {
      return createPublicKey({ key: der, format: 'der', type });
    } catch {
      // try the next encoding
    }
  }
  if (!label) {
    for (const type of ['pkcs8', 'pkcs1'] as const) {
      try {
        createPrivateKey({ key: der, format: 'der', type });
        throw new ConfigError(field, 'is a private key (bare base64): this field takes a public key');
      } catch (error) {
        if (error instanceof ConfigError) throw error;
      }
    }
  }
  throw new ConfigError(field, 'could not be parsed as a public key (SPKI or PKCS#1)');
}

/** True when both keys are the same public key (used to catch swapped key fields). */
export function samePublicKey(a: KeyObject, b: KeyObject): boolean {
  const pub = (k: KeyObject) => (k.type === 'private' ? createPublicKey(k) : k).export({ format: 'der', type: 'spki' });
  return pub(a).equals(pub(b));
}

/** The smallest RSA modulus every provider accepts: Alipay's RSA2, WeChat Pay's and UnionPay's keys are 2048-bit. */
export const MIN_RSA_BITS = 2048;

/**
 * Refuses a key the provider cannot use: anything but RSA, or RSA under {@link MIN_RSA_BITS}.
 * Caught at configuration, such a key would otherwise fail at the first gateway call or the first
 * notify. `requirement` names the provider's rule and the way out, e.g. `Alipay requires RSA2 (2048-bit RSA): …`.
 */
export function requireRsa(key: KeyObject, field: string, requirement: string): KeyObject {
  const type = key.asymmetricKeyType;
  if (type !== 'rsa') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    const what = type === 'ec' ? `an EC key${curve ? ` (${curveName(curve)})` : ''}` : `a ${type ?? 'non-RSA'} key`;
    throw new ConfigError(field, `is ${what}; ${requirement}`);
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_RSA_BITS) {
    throw new ConfigError(field, `is an RSA key of ${bits} bits; ${requirement}`);
  }
  return key;
}

const CURVES: Readonly<Record<string, string>> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };
const curveName = (curve: string) => CURVES[curve] ?? curve;
