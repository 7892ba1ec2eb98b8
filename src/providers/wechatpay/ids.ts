/** WeChat `out_trade_no`: 6–32 of letters, digits and `_-|*` (spec §1.4, DESIGN §11). */
const OUT_TRADE_NO = /^[A-Za-z0-9_\-|*]{6,32}$/;

/** Why `orderId` cannot be a WeChat `out_trade_no`, or `undefined` when it can. */
export function checkOrderId(orderId: string): string | undefined {
  if (OUT_TRADE_NO.test(orderId)) return undefined;
  return 'WeChat Pay out_trade_no must be 6–32 characters of letters, digits and _-|*';
}
