/** Field rules shared by the v2 and v3 handlers. */

/** `out_trade_no`: 6–32 of digits, letters and `_-|*` (WeChat Pay API, `out_trade_no`). */
export const OUT_TRADE_NO = /^[0-9A-Za-z_\-|*]{6,32}$/;

/** `notify_url`: absolute http(s), no query string, ≤ 255. Returns the URL or what is wrong. */
export function parseNotifyUrl(text: string): URL | string {
  if (text.length > 255) return 'notify_url is longer than 255 characters';
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'notify_url must be an absolute URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'notify_url must be http(s)';
  if (url.search || text.includes('?'))
    return 'notify_url must not carry a query string (WeChat drops it): put the order id elsewhere';
  return url;
}

/**
 * The merchant's "H5 payment domain" in the sandbox: the host of the `notify_url` given at prepay
 * (the merchant's own server) and of the declared site URL (`app_url`/`wap_url`), if any.
 */
export function h5Domains(notifyUrl: string, siteUrl?: string): string[] {
  const hosts = [new URL(notifyUrl).hostname];
  if (siteUrl) {
    try {
      hosts.push(new URL(siteUrl).hostname);
    } catch {
      // a malformed site URL configures no domain
    }
  }
  return hosts;
}

/** RFC 3339 with an explicit offset (`2018-06-08T10:34:56+08:00`, `Z` tolerated). */
export function parseRfc3339(text: string): Date | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{2}:\d{2})$/.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}
