import { createCipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import { sortedString } from '../wire/sorted-string.js';
import { sameText } from '../wire/compare.js';

/** The two v2 signature algorithms ("安全规范", WeChat Pay API v2). */
export type V2SignType = 'MD5' | 'HMAC-SHA256';

/**
 * v2 signature: sorted `k=v` of every non-empty field except `sign` (sign_type included),
 * `&key=<APIv2 key>` appended, MD5 or HMAC-SHA256 (keyed with the same key), upper-case hex.
 */
export function v2Sign(fields: Readonly<Record<string, string | undefined>>, apiKey: string, type: V2SignType): string {
  const text = `${sortedString(fields, ['sign'])}&key=${apiKey}`;
  const digest =
    type === 'MD5' ? createHash('md5').update(text, 'utf8') : createHmac('sha256', apiKey).update(text, 'utf8');
  return digest.digest('hex').toUpperCase();
}

/** Constant-time check of a received v2 `sign`. */
export function v2Verify(
  fields: Readonly<Record<string, string | undefined>>,
  apiKey: string,
  type: V2SignType,
): boolean {
  const given = fields.sign;
  return typeof given === 'string' && sameText(given, v2Sign(fields, apiKey, type));
}

/** Random alphanumerics (nonce_str, Wechatpay-Nonce, GCM nonces). */
export function nonce(length = 32): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(length);
  let out = '';
  for (const byte of bytes) out += alphabet[byte % alphabet.length];
  return out;
}

/** The v3 `resource`/`encrypt_certificate` object: AEAD_AES_256_GCM with the APIv3 key's 32 bytes. */
export interface GcmResource {
  algorithm: 'AEAD_AES_256_GCM';
  ciphertext: string;
  associated_data: string;
  nonce: string;
}

/** Encrypts as WeChat does: 12-character nonce as IV, AAD as given, tag appended to the ciphertext. */
export function gcmEncrypt(apiV3Key: string, plaintext: string, associatedData: string): GcmResource {
  const iv = nonce(12);
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(apiV3Key, 'utf8'), Buffer.from(iv, 'utf8'));
  cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return {
    algorithm: 'AEAD_AES_256_GCM',
    ciphertext: body.toString('base64'),
    associated_data: associatedData,
    nonce: iv,
  };
}

/**
 * v2 refund notify `req_info`: AES-256-ECB, key = the 32 lower-case hex characters of MD5(APIv2
 * key) taken as ASCII bytes, standard PKCS#7 padding (always a padding block), base64.
 */
export function reqInfoEncrypt(apiKey: string, plaintext: string): string {
  const key = Buffer.from(createHash('md5').update(apiKey, 'utf8').digest('hex'), 'ascii');
  const cipher = createCipheriv('aes-256-ecb', key, null);
  return Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]).toString('base64');
}
