import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Compares a received MD5/HMAC signature with the expected one in constant time. Both sides are
 * hashed first, so the comparison never depends on where they differ, nor on their lengths.
 */
export function sameText(a: string, b: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b));
}
