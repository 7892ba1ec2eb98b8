/**
 * What a hand-written notify handler must read from a verified notify before it can act on it, as
 * each provider's documentation tells merchants to: the order, the provider's transaction id, the
 * amount as an integer (compared with the order by the caller), the payment time, and whether the
 * message is for this merchant. paymount's `parseNotify` hands the same facts to its core, so the
 * bare baselines produce them too; a baseline that stopped at "the signature verifies" would leave
 * out work that no correct handler can skip. Written for the bench, independently of paymount.
 */

/** The facts a handler acts on. */
export interface PaidFacts {
  orderId: string;
  transactionId: string;
  /** Integer fen. */
  amount: number;
  paidAt: Date;
  /** True when the app or merchant id is not this merchant's. */
  foreign: boolean;
}

const YUAN = /^(\d{1,12})(?:\.(\d{1,2}))?$/;

/** `"88.8"` → 8880: yuan with up to two decimals, in integer arithmetic. Throws on anything else. */
export function fenFromYuan(text: string | undefined): number {
  const m = YUAN.exec(text ?? '');
  if (!m) throw new Error(`not an amount in yuan: ${text}`);
  const decimals = m[2] ?? '';
  return Number(m[1]) * 100 + (decimals === '' ? 0 : decimals.length === 1 ? Number(decimals) * 10 : Number(decimals));
}

/** `"8888"` → 8888: whole fen. Throws on anything else. */
export function fenFromDigits(text: string | undefined): number {
  if (!text || !/^\d{1,15}$/.test(text)) throw new Error(`not an amount in fen: ${text}`);
  return Number(text);
}

const BEIJING = /^(\d{4})-?(\d{2})-?(\d{2})[ T]?(\d{2}):?(\d{2}):?(\d{2})$/;

/** `2026-11-25 17:50:12` or `20261125175012`, Beijing time (UTC+8). Throws when malformed. */
export function beijingTime(text: string | undefined): Date {
  const m = BEIJING.exec(text ?? '');
  if (!m) throw new Error(`not a Beijing time: ${text}`);
  return new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}+08:00`);
}
