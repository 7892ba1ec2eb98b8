/**
 * Beijing time (UTC+8, no daylight saving) computed from the instant, whatever the server's time
 * zone: Alipay `timestamp`, UnionPay `txnTime` and WeChat `time_expire` all expect it.
 */
const BEIJING_OFFSET_MS = 8 * 60 * 60 * 1000;

interface Parts {
  yyyy: string;
  MM: string;
  dd: string;
  HH: string;
  mm: string;
  ss: string;
}

function beijingParts(date: Date): Parts {
  const shifted = new Date(date.getTime() + BEIJING_OFFSET_MS);
  const pad = (n: number) => String(n).padStart(2, '0');
  return {
    yyyy: String(shifted.getUTCFullYear()).padStart(4, '0'),
    MM: pad(shifted.getUTCMonth() + 1),
    dd: pad(shifted.getUTCDate()),
    HH: pad(shifted.getUTCHours()),
    mm: pad(shifted.getUTCMinutes()),
    ss: pad(shifted.getUTCSeconds()),
  };
}

/** `2024-05-13 17:49:20` in Beijing time. */
export function beijingDateTime(date: Date): string {
  const p = beijingParts(date);
  return `${p.yyyy}-${p.MM}-${p.dd} ${p.HH}:${p.mm}:${p.ss}`;
}

/** `20240513174920` in Beijing time. */
export function beijingCompact(date: Date): string {
  const p = beijingParts(date);
  return `${p.yyyy}${p.MM}${p.dd}${p.HH}${p.mm}${p.ss}`;
}

/** `2024-05-13T17:49:20+08:00` (RFC 3339 in Beijing time, as WeChat Pay v3 uses). */
export function beijingRfc3339(date: Date): string {
  const p = beijingParts(date);
  return `${p.yyyy}-${p.MM}-${p.dd}T${p.HH}:${p.mm}:${p.ss}+08:00`;
}

const BEIJING_TIME = /^(\d{4})-?(\d{2})-?(\d{2})[ T]?(\d{2}):?(\d{2}):?(\d{2})$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Parses `yyyy-MM-dd HH:mm:ss` or `yyyyMMddHHmmss` as Beijing time. `undefined` when malformed. */
export function parseBeijing(text: string): Date | undefined {
  const m = BEIJING_TIME.exec(text);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = [
    +(m[1] ?? ''),
    +(m[2] ?? ''),
    +(m[3] ?? ''),
    +(m[4] ?? ''),
    +(m[5] ?? ''),
    +(m[6] ?? ''),
  ];
  // Checked field by field rather than by a round trip through Date (which would roll 31 Feb over
  // into March): it runs on every notify. Years before 100 are refused, as Date.UTC reads them as 19xx.
  const leapDay = mo === 2 && y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 1 : 0;
  if (y < 100 || mo < 1 || mo > 12 || d < 1 || d > (DAYS_IN_MONTH[mo - 1] ?? 0) + leapDay) return undefined;
  if (h > 23 || mi > 59 || s > 59) return undefined;
  return new Date(Date.UTC(y, mo - 1, d, h, mi, s) - BEIJING_OFFSET_MS);
}
