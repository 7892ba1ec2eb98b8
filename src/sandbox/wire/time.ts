/**
 * Beijing time, the only clock the three gateways speak: China Standard Time is UTC+8 all year
 * (no daylight saving). Alipay writes `yyyy-MM-dd HH:mm:ss` (`timestamp`, `gmt_payment`), WeChat
 * Pay API v2 and UnionPay `yyyyMMddHHmmss` (`time_end`, `txnTime`), WeChat Pay API v3 RFC 3339
 * with `+08:00` (`success_time`). Computed from the instant, never from the host's time zone.
 */

const UTC_PLUS_8 = 8 * 3_600_000;

/** The Beijing wall clock of an instant: `[year, month, day, hour, minute, second]`, zero-padded. */
function wallClock(date: Date): [string, string, string, string, string, string] {
  // An ISO string of the instant moved by +8 h reads as the Beijing wall clock.
  const iso = new Date(date.getTime() + UTC_PLUS_8).toISOString();
  return [iso.slice(0, 4), iso.slice(5, 7), iso.slice(8, 10), iso.slice(11, 13), iso.slice(14, 16), iso.slice(17, 19)];
}

/** `2024-05-13 17:49:20` (Alipay). */
export function beijingDateTime(date: Date): string {
  const [y, mo, d, h, mi, s] = wallClock(date);
  return `${y}-${mo}-${d} ${h}:${mi}:${s}`;
}

/** `20240513174920` (WeChat Pay API v2, UnionPay). */
export function beijingCompact(date: Date): string {
  return wallClock(date).join('');
}

/** `2024-05-13T17:49:20+08:00` (WeChat Pay API v3). */
export function beijingRfc3339(date: Date): string {
  const [y, mo, d, h, mi, s] = wallClock(date);
  return `${y}-${mo}-${d}T${h}:${mi}:${s}+08:00`;
}

/**
 * Reads a Beijing wall-clock time, `yyyy-MM-dd HH:mm:ss` or `yyyyMMddHHmmss` (the date and time
 * separators may each be present or not; callers that need one layout test it first). A time
 * that does not exist, such as 31 February or 24:00:00, is `undefined`.
 */
export function parseBeijing(text: string): Date | undefined {
  const digits = /^(\d{4})-?(\d\d)-?(\d\d)[ T]?(\d\d):?(\d\d):?(\d\d)$/.exec(text);
  if (!digits) return undefined;
  const [y, mo, d, h, mi, s] = digits.slice(1).map(Number) as [number, number, number, number, number, number];
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s) - UTC_PLUS_8);
  // Date.UTC rolls impossible values over (31 February, 24:00:00) and reads years 0–99 as 19xx:
  // a real time reads back as the same wall clock, anything else does not.
  if (Number.isNaN(date.getTime())) return undefined;
  const back = wallClock(date);
  return back.every((part, i) => part === digits[i + 1]) ? date : undefined;
}
