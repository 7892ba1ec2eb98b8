/**
 * Amounts: WeChat Pay and UnionPay carry integer fen (`total_fee`, `txnAmt`); Alipay carries yuan
 * with at most two decimals (`total_amount` "9.00"). The simulators keep fen and write yuan with
 * integer arithmetic only, so no binary fraction can creep into an amount.
 */

/** 1234 → "12.34", 5 → "0.05", 0 → "0.00". */
export function yuan(fen: number): string {
  if (!Number.isSafeInteger(fen) || fen < 0) throw new RangeError(`not a non-negative integer of fen: ${fen}`);
  const text = String(fen).padStart(3, '0');
  return `${text.slice(0, -2)}.${text.slice(-2)}`;
}
