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

/** Parses `yyyy-MM-dd HH:mm:ss` or `yyyyMMddHHmmss` as Beijing time. `undefined` when malformed. */
export function parseBeijing(text: string): Date | undefined {
  const m = /^(\d{4})-?(\d{2})-?(\d{2})[ T]?(\d{2}):?(\d{2}):?(\d{2})$/.exec(text);
  if (!m) return undefined;
  // The six groups are not optional: a match has them all.
  const [y = NaN, mo = NaN, d = NaN, h = NaN, mi = NaN, s = NaN] = m.slice(1).map(Number);
  const ms = Date.UTC(y, mo - 1, d, h, mi, s) - BEIJING_OFFSET_MS;
  if (Number.isNaN(ms)) return undefined;
  // Date.UTC rolls 31 Feb over into March: a valid time reads back the fields it was built from.
  const b = new Date(ms + BEIJING_OFFSET_MS);
  const same =
    b.getUTCFullYear() === y &&
    b.getUTCMonth() === mo - 1 &&
    b.getUTCDate() === d &&
    b.getUTCHours() === h &&
    b.getUTCMinutes() === mi &&
    b.getUTCSeconds() === s;
  return same ? new Date(ms) : undefined;
}
