import { createHmac, timingSafeEqual } from 'node:crypto';
import { ConfigError } from '../errors/index.js';

/**
 * Signed checkout links: a path that lets whoever holds it check out one order with one provider
 * until it expires, without a session — for an email, a QR code or a page of a shop that has no
 * login. The signature is an HMAC-SHA256 over order, provider and expiry with `linkSecret`.
 */

/** Options of `payments.checkoutLink`. */
export interface CheckoutLinkOptions {
  /** How long the link works, in seconds. Default 24 h. */
  expiresIn?: number;
}

const message = (orderId: string, provider: string, expires: number) => `${orderId}\n${provider}\n${expires}`;

/** The link's signature parameters: expiry (Unix seconds) and `sig` (base64url). */
export function signLink(secret: Buffer, orderId: string, provider: string, expires: number): string {
  return createHmac('sha256', secret)
    .update(message(orderId, provider, expires))
    .digest('base64url');
}

/** True when `sig` signs this order, provider and expiry and the link has not expired at `now`. */
export function linkValid(
  secret: Buffer,
  orderId: string,
  provider: string,
  expires: string | null,
  sig: string | null,
  now: Date,
): boolean {
  if (!expires || !sig || !/^\d{1,12}$/.test(expires)) return false;
  const at = Number(expires);
  if (at * 1000 <= now.getTime()) return false;
  const expected = Buffer.from(signLink(secret, orderId, provider, at));
  const given = Buffer.from(sig);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Checks `linkSecret`: 32 bytes or more, the same on every instance. */
export function resolveLinkSecret(secret: string | Buffer | undefined): Buffer | undefined {
  if (secret === undefined) return undefined;
  const bytes = Buffer.isBuffer(secret) ? secret : typeof secret === 'string' ? Buffer.from(secret, 'utf8') : undefined;
  if (!bytes || bytes.length < 32) {
    throw new ConfigError('linkSecret', 'must be a secret of at least 32 bytes (e.g. 64 hex characters from a CSPRNG)');
  }
  return bytes;
}
