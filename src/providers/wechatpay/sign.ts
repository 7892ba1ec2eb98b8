import { randomBytes } from 'node:crypto';

/**
 * What both API versions put into every signed message: a random `nonce_str` and a timestamp.
 * The signatures themselves differ per version (`v3/sign.ts`, `v2/sign.ts`).
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** A 32-character random string of upper-case letters and digits (the `nonce_str` all SDKs send). */
export function nonce(length = 32): string {
  const bytes = randomBytes(length);
  let out = '';
  // 252 is the largest multiple of 36 below 256: rejecting above it keeps the letters uniform.
  for (let i = 0; out.length < length; i++) {
    if (i >= bytes.length) return out + nonce(length - out.length);
    const b = bytes.readUInt8(i);
    if (b < 252) out += ALPHABET.charAt(b % 36);
  }
  return out;
}

/** Unix seconds of the injected clock, as WeChat wants them (10 digits, never milliseconds). */
export function unixSeconds(clock: () => Date): string {
  return String(Math.floor(clock().getTime() / 1000));
}
