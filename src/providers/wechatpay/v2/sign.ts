import { createHash, createHmac } from 'node:crypto';
import { canonicalString } from '../../../wire/canonical.js';
import { safeEqual } from '../../../wire/compare.js';

/** The v2 signature algorithms; which one is used comes from the configuration, never the message. */
export type V2SignType = 'MD5' | 'HMAC-SHA256';

/**
 * `sorted k=v&…&key=<apiKey>` (docs/providers/wechatpay.md#v2-signing): every field but `sign`, empty
 * values dropped, `sign_type` kept.
 */
export function v2SignString(fields: Readonly<Record<string, string | undefined>>, apiKey: string): string {
  return `${canonicalString(fields, ['sign'])}&key=${apiKey}`;
}

/** Upper-case hex MD5 or HMAC-SHA256 (keyed with the API v2 key, which is also inside the message). */
export function v2Sign(fields: Readonly<Record<string, string | undefined>>, apiKey: string, type: V2SignType): string {
  const text = v2SignString(fields, apiKey);
  const digest =
    type === 'MD5' ? createHash('md5').update(text, 'utf8') : createHmac('sha256', apiKey).update(text, 'utf8');
  return digest.digest('hex').toUpperCase();
}

/** Constant-time check of a received `sign`; any case of hex is accepted, nothing else. */
export function v2Verify(
  fields: Readonly<Record<string, string | undefined>>,
  apiKey: string,
  type: V2SignType,
): boolean {
  const received = fields.sign;
  if (typeof received !== 'string' || received === '') return false;
  return safeEqual(v2Sign(fields, apiKey, type), received.toUpperCase());
}
