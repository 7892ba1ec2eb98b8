/**
 * Amounts are integer fen everywhere in paymount's API. Providers that speak yuan convert here,
 * with integer arithmetic only: floats turn 0.1 + 0.2 into 0.30000000000000004.
 */

/** True for a positive safe integer: the only valid paymount amount. */
export function isFen(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

/** 1234 → "12.34", 5 → "0.05". */
export function fenToYuan(fen: number): string {
  if (!Number.isSafeInteger(fen) || fen < 0)
    throw new RangeError(`amount must be a non-negative integer of fen, got ${fen}`);
  const yuan = Math.trunc(fen / 100);
  const cents = fen % 100;
  return `${yuan}.${cents < 10 ? '0' : ''}${cents}`;
}

/** "12.34" → 1234, "12.3" → 1230, "12" → 1200. Returns `undefined` for anything else. */
export function yuanToFen(yuan: string): number | undefined {
  const match = /^(\d{1,12})(?:\.(\d{1,2}))?$/.exec(yuan);
  if (!match) return undefined;
  const cents = (match[2] ?? '').padEnd(2, '0');
  return Number(match[1]) * 100 + Number(cents);
}

/** "1234" (WeChat/UnionPay fen strings) → 1234. Returns `undefined` for anything else. */
export function parseFen(text: string): number | undefined {
  return /^\d{1,15}$/.test(text) ? Number(text) : undefined;
}
