import { sign, verify, type KeyObject } from 'node:crypto';

/** Hash names as node:crypto spells them. */
export type RsaHash = 'sha256' | 'sha1';

/**
 * RSASSA-PKCS1-v1_5 signature, base64. Runs on the libuv thread pool (callback form) so a 0.7 ms
 * RSA-2048 sign does not block the event loop on the request path.
 */
export function rsaSign(key: KeyObject, data: string | Buffer, hash: RsaHash = 'sha256'): Promise<string> {
  return new Promise((resolve, reject) => {
    sign(hash, typeof data === 'string' ? Buffer.from(data, 'utf8') : data, key, (error, signature) => {
      if (error) reject(error);
      else resolve(signature.toString('base64'));
    });
  });
}

/** The synchronous form, for one-off signing outside a request (sandbox setup, tests). */
export function rsaSignSync(key: KeyObject, data: string | Buffer, hash: RsaHash = 'sha256'): string {
  return sign(hash, typeof data === 'string' ? Buffer.from(data, 'utf8') : data, key).toString('base64');
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Verifies a base64 PKCS#1 v1.5 signature. A malformed signature is `false`, never an exception:
 * forged input must cost one verify at most and never crash a route.
 */
export function rsaVerify(
  key: KeyObject,
  data: string | Buffer,
  signatureB64: string,
  hash: RsaHash = 'sha256',
): boolean {
  if (!signatureB64 || !BASE64.test(signatureB64)) return false;
  try {
    return verify(
      hash,
      typeof data === 'string' ? Buffer.from(data, 'utf8') : data,
      key,
      Buffer.from(signatureB64, 'base64'),
    );
  } catch {
    return false;
  }
}
