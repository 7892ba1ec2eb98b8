import { sign, verify, type KeyObject } from 'node:crypto';

/**
 * RSASSA-PKCS1-v1_5 signatures in standard base64, as all three providers use them: SHA256withRSA
 * (Alipay RSA2, WeChat Pay API v3, UnionPay 5.1.0) or SHA1withRSA (Alipay's legacy RSA). Text is
 * signed as its UTF-8 bytes.
 */
export type Hash = 'sha256' | 'sha1';

const bytes = (data: string | Buffer): Buffer => (typeof data === 'string' ? Buffer.from(data, 'utf8') : data);

/** Signs on the thread pool, so a simulator answering many calls keeps its event loop free. */
export function signRsa(key: KeyObject, data: string | Buffer, hash: Hash = 'sha256'): Promise<string> {
  return new Promise((resolve, reject) =>
    sign(hash, bytes(data), key, (error, signature) => (error ? reject(error) : resolve(signature.toString('base64')))),
  );
}

/** The same, synchronously (notifications rebuilt for each delivery attempt). */
export function signRsaSync(key: KeyObject, data: string | Buffer, hash: Hash = 'sha256'): string {
  return sign(hash, bytes(data), key).toString('base64');
}

/**
 * True only for a valid signature. Anything that is not standard base64 (a `WECHATPAY/SIGNTEST/`
 * probe, a URL-safe or truncated value) is simply invalid: a malformed signature never throws.
 */
export function verifyRsa(key: KeyObject, data: string | Buffer, signature: string, hash: Hash = 'sha256'): boolean {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(signature)) return false;
  try {
    return verify(hash, bytes(data), key, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}
