import { beijingCompact, parseBeijing } from '../../wire/time.js';
import type { UnionpayConfig } from './config.js';
import type { AcpFields } from './sign.js';

/** `respCode`/`origRespCode` values that mean the transaction succeeded (`A6`: success with a defect). */
export const SUCCESS: ReadonlySet<string> = new Set(['00', 'A6']);
/** Processing or unknown: ask again later (docs/providers/unionpay.md#response-codes). */
export const IN_PROGRESS: ReadonlySet<string> = new Set(['03', '04', '05']);
/** A query's `respCode` for "no such transaction": not yet paid, or never sent. */
export const NOT_FOUND: ReadonlySet<string> = new Set(['34']);

/** The `txnType`s paymount sends or reads: consumption, query, refund, cancel (consumption reversal). */
export const TXN = { consume: '01', query: '00', refund: '04', cancel: '31' } as const;

/** UnionPay's trade number rule: 8–40 letters and digits, no `-` or `_` (docs/providers/unionpay.md#limits). */
export const ACP_ORDER_ID = /^[0-9A-Za-z]{8,40}$/;

/** The envelope of every request: version, encoding, signing method, certificate and merchant. */
export function envelope(config: UnionpayConfig): AcpFields {
  return {
    version: '5.1.0',
    encoding: 'UTF-8',
    signMethod: '01',
    certId: config.certId,
    accessType: '0',
    merId: config.merId,
  };
}

/** `txnTime` and the other ACP times are Beijing `yyyyMMddHHmmss`, whatever the server's zone. */
export const acpTime = beijingCompact;

/**
 * When the payment happened: `traceTime` is `MMddHHmmss` without a year, so the year comes from
 * `txnTime` (rolled forward when the trace falls in January of a December order). Falls back to
 * `txnTime`, then to `fallback`.
 */
export function paidAtOf(fields: Readonly<AcpFields>, fallback: Date): Date {
  const txnTime = fields.txnTime ?? '';
  const ordered = parseBeijing(txnTime);
  const trace = fields.traceTime ?? '';
  if (ordered && /^\d{10}$/.test(trace)) {
    const year = Number(txnTime.slice(0, 4));
    const sameYear = parseBeijing(`${year}${trace}`);
    if (sameYear && sameYear.getTime() >= ordered.getTime() - 24 * 3600_000) return sameYear;
    const nextYear = parseBeijing(`${year + 1}${trace}`);
    if (nextYear) return nextYear;
  }
  return ordered ?? fallback;
}

/** The 7-digit detail code UnionPay puts in brackets in `respMsg`, e.g. `重复交易[2010002]`. */
export function detailCode(respMsg: string | undefined): string | undefined {
  return /\[(\d{7})\]/.exec(respMsg ?? '')?.[1];
}

/**
 * The clearing day (`settleDate`, `MMDD`) an instant belongs to: UnionPay's day runs from 23:00
 * Beijing time to 23:00, so 23:30 on 25 Nov clears on 26 Nov.
 */
export function clearingDate(at: Date): string {
  return beijingCompact(new Date(at.getTime() + 3600_000)).slice(4, 8);
}
