/**
 * What the sandbox's statement generators take: the trades a simulated provider recorded, in a
 * plain shape of the sandbox's own, and the small formatting rules every provider's file shares
 * (yuan text, Beijing time, which trades fall on a statement day). The sandbox writes the files
 * from the providers' documentation with its own code, never paymount's parsers or helpers.
 */

/** A payment or refund the simulated provider recorded. */
export interface StatementRecord {
  /** `payment`, or `refund` (UnionPay: a refund, or a cancellation with `cancel: true`). */
  kind: 'payment' | 'refund';
  /** The merchant's order number (`out_trade_no`, UnionPay `orderId` of the payment). */
  tradeNo: string;
  /** The provider's payment id (`trade_no`, `transaction_id`, `queryId`); on refunds, the payment's. */
  transactionId: string;
  /** Refunds: the merchant's refund number (`out_request_no`, `out_refund_no`, UnionPay refund `orderId`). */
  refundId?: string;
  /** Refunds: the provider's refund id (WeChat `refund_id`, UnionPay refund `queryId`). */
  providerRefundId?: string;
  /** Integer fen, positive. */
  amount: number;
  /** When the payment or refund completed (refunds: when it was accepted, for WeChat Pay). */
  time: Date;
  /** Refunds: when the payment was made (Alipay 创建时间, WeChat REFUND bill 交易时间). Default `time`. */
  paidAt?: Date;
  /** The product name shown in the statement. */
  subject?: string;
  /** The provider's fee in fen, positive. Default: the generator's `feeRate` applied to `amount`. */
  fee?: number;
  /** WeChat Pay refunds: the refund status the bill shows. Default `SUCCESS`. */
  refundStatus?: 'SUCCESS' | 'PROCESSING' | 'FAIL' | 'CHANGE';
  /** UnionPay refunds: a cancellation (消费撤销, `txnType=31`) rather than a refund (`04`). */
  cancel?: boolean;
  /** How the payer is shown (a masked account, an openid, a masked card number). */
  payer?: string;
  /** `app` for a payment made through the provider's app SDK; default `wap`. */
  channel?: 'wap' | 'app';
}

const HOUR = 3600_000;

/** Beijing time (UTC+8, no daylight saving) fields of an instant, zero-padded. */
export function beijing(date: Date): { yyyy: string; MM: string; dd: string; HH: string; mm: string; ss: string } {
  const d = new Date(date.getTime() + 8 * HOUR);
  const p = (n: number) => String(n).padStart(2, '0');
  return {
    yyyy: String(d.getUTCFullYear()),
    MM: p(d.getUTCMonth() + 1),
    dd: p(d.getUTCDate()),
    HH: p(d.getUTCHours()),
    mm: p(d.getUTCMinutes()),
    ss: p(d.getUTCSeconds()),
  };
}

/** `yyyy-MM-dd HH:mm:ss` in Beijing time. */
export function beijingText(date: Date): string {
  const b = beijing(date);
  return `${b.yyyy}-${b.MM}-${b.dd} ${b.HH}:${b.mm}:${b.ss}`;
}

/** The Beijing calendar day of an instant, `yyyy-MM-dd`. */
export function beijingDay(date: Date): string {
  return beijingText(date).slice(0, 10);
}

/** The instant a Beijing wall-clock time names (`day` is `yyyy-MM-dd`). */
export function beijingInstant(day: string, hour = 0, minute = 0, second = 0): Date {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d, hour, minute, second) - 8 * HOUR);
}

/** The day after `day` (`yyyy-MM-dd`). */
export function nextDay(day: string): string {
  return beijingDay(new Date(beijingInstant(day).getTime() + 24 * HOUR));
}

/** Integer units at a scale → decimal text: (1230, 2) → `12.30`, (-600, 5) → `-0.00600`. */
export function decimal(units: number, scale: number): string {
  const digits = String(Math.abs(units)).padStart(scale + 1, '0');
  const text = `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
  return units < 0 ? `-${text}` : text;
}

/** Fen → yuan text with two decimals, signed. */
export const yuan = (fen: number) => decimal(fen, 2);

/** A fee at `rate` basis points of `amount` fen, rounded half up to the fen. */
export const feeAt = (amount: number, rate: number) => Math.floor((amount * rate + 5000) / 10000);

/** The records whose time falls on `day` (a Beijing calendar day), in time order. */
export function onDay(records: readonly StatementRecord[], day: string): StatementRecord[] {
  return records.filter((r) => beijingDay(r.time) === day).sort((a, b) => a.time.getTime() - b.time.getTime());
}

/** A DOS date-time (zip entry time) holding Beijing wall-clock time, as a Chinese provider writes it. */
export function dosTime(date: Date): number {
  const b = beijing(date);
  const n = (s: string) => Number(s);
  return (
    (((n(b.yyyy) - 1980) << 25) |
      (n(b.MM) << 21) |
      (n(b.dd) << 16) |
      (n(b.HH) << 11) |
      (n(b.mm) << 5) |
      (n(b.ss) >> 1)) >>>
    0
  );
}
