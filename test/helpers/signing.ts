/**
 * How the providers sign what they send, written for the tests from the providers' documentation
 * with node:crypto only. Tests that build a notify with these helpers check paymount against the
 * documented rules, not against paymount's own signing code: a mistake there cannot cancel out.
 */
import { sign, type KeyObject } from 'node:crypto';

/**
 * Sorted `name=value&…` over raw (not URL-encoded) values, empty values and `exclude` left out:
 * the string Alipay, WeChat Pay API v2 and UnionPay sign.
 */
export function sortedPairs(fields: Readonly<Record<string, string>>, exclude: readonly string[]): string {
  const names = Object.keys(fields).filter((name) => fields[name] !== '' && !exclude.includes(name));
  return names
    .sort()
    .map((name) => `${name}=${fields[name]}`)
    .join('&');
}

/** SHA256withRSA (RSASSA-PKCS1-v1_5) over the UTF-8 bytes of `text`, standard base64. */
export function rsaSha256(key: KeyObject, text: string): string {
  return sign('sha256', Buffer.from(text, 'utf8'), key).toString('base64');
}

/** A form body as a browser or a Java notifier posts it (URLSearchParams: spaces as `+`). */
export function formBody(fields: Readonly<Record<string, string>>): string {
  return new URLSearchParams(fields).toString();
}
