import { createHash, type KeyObject } from 'node:crypto';
import { sortedString } from '../wire/sorted-string.js';
import { signRsa, verifyRsa } from '../wire/rsa.js';

/**
 * ACP 5.1.0 signMethod 01 (UnionPay ACP 5.1.0 specification): the sorted `k=v&…` string of every
 * non-empty field except `signature`, its SHA-256 as lowercase hex, and SHA256withRSA over the
 * ASCII bytes of that hex.
 */

/** The string that is digested: every field but `signature`, sorted, raw values, empties skipped. */
export function signingString(fields: Readonly<Record<string, string>>): string {
  return sortedString(fields, ['signature']);
}

/** Lowercase SHA-256 hex of the signing string's UTF-8 bytes: what the RSA signature covers. */
export function digestHex(fields: Readonly<Record<string, string>>): string {
  return createHash('sha256').update(signingString(fields), 'utf8').digest('hex');
}

/** True when `fields.signature` is the merchant's (or UnionPay's) signature over the other fields. */
export function verifyFields(fields: Readonly<Record<string, string>>, publicKey: KeyObject): boolean {
  return verifyRsa(publicKey, Buffer.from(digestHex(fields), 'ascii'), fields.signature ?? '', 'sha256');
}

/**
 * Signs a response or notification as UnionPay does: `signPubKeyCert` (the PEM with CRLF line
 * breaks, signed as-is) is added first, then `signature` over everything.
 */
export async function signAsUnionpay(
  fields: Record<string, string>,
  signingKey: KeyObject,
  signingCertPem: string,
): Promise<Record<string, string>> {
  const out: Record<string, string> = { ...fields, signMethod: '01', signPubKeyCert: signingCertPem };
  delete out.signature;
  out.signature = await signRsa(signingKey, Buffer.from(digestHex(out), 'ascii'), 'sha256');
  return out;
}

/**
 * The synchronous response format (ACP synchronous answers): `k=v&k=v` with values NOT percent-encoded — raw
 * UTF-8, base64 with `+` and `/`, and the certificate's literal CR LF.
 */
export function encodeRaw(fields: Readonly<Record<string, string>>): string {
  return Object.keys(fields)
    .sort()
    .map((key) => `${key}=${fields[key]}`)
    .join('&');
}
