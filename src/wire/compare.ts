import { timingSafeEqual } from 'node:crypto';

/** Constant-time string comparison (for MD5/HMAC signatures): no early exit on the first difference. */
export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  // Compare equal-length buffers even on a length mismatch so timing reveals nothing about content.
  return timingSafeEqual(left.length === right.length ? left : right, right) && left.length === right.length;
}
