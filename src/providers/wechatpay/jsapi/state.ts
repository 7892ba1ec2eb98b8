import { createHmac } from 'node:crypto';
import { RequestError } from '../../../errors/index.js';
import { safeEqual } from '../../../wire/compare.js';

/**
 * What paymount carries across WeChat's sign-in, signed with a key derived from the AppSecret
 * (`jsapi/config.ts`) and bound to an expiry: the OAuth `state` (which order the sign-in is for)
 * and the payer token of the clean URL after it (which order, which openid).
 *
 * WeChat echoes `state` untouched and allows at most 128 letters and digits in it (web OAuth
 * documentation, "网页授权"), so a token is the expiry in Unix seconds (10 digits) followed by the
 * lower-case hex HMAC-SHA256 of the purpose, the fields and the expiry: 74 characters.
 */

/** What a token vouches for: its purpose first, so that one kind can never pass for the other. */
export type TokenFields = readonly ['authorize', string] | readonly ['payer', string, string];

const TOKEN = /^(\d{10})([0-9a-f]{64})$/;

function mac(key: Buffer, fields: TokenFields, expires: string): string {
  return createHmac('sha256', key)
    .update([...fields, expires].join('\n'), 'utf8')
    .digest('hex');
}

/** A token for `fields`, valid until `expires` (Unix seconds). */
export function signToken(key: Buffer, fields: TokenFields, expires: number): string {
  const at = String(Math.floor(expires)).padStart(10, '0');
  return `${at}${mac(key, fields, at)}`;
}

/**
 * Checks a token against `fields` at `now`; throws `OAUTH_STATE_INVALID` naming what is wrong.
 * The signature is checked before the expiry, so a forged token is never called expired.
 */
export function checkToken(key: Buffer, fields: TokenFields, token: string | null, now: Date): void {
  const what = fields[0] === 'authorize' ? 'the OAuth state' : 'the payer token';
  const parts = token ? TOKEN.exec(token) : null;
  const [, expires, given] = parts ?? [];
  if (expires === undefined || given === undefined)
    throw new RequestError(`${what} is missing or malformed: open the checkout link again`, 'OAUTH_STATE_INVALID');
  if (!safeEqual(mac(key, fields, expires), given)) {
    throw new RequestError(
      `${what} was not signed by this shop for order ${fields[1]}: the URL was altered, or another appSecret signed it`,
      'OAUTH_STATE_INVALID',
    );
  }
  if (Number(expires) * 1000 <= now.getTime()) {
    throw new RequestError(
      `${what} expired at ${new Date(Number(expires) * 1000).toISOString()}: open the checkout link again`,
      'OAUTH_STATE_INVALID',
    );
  }
}
