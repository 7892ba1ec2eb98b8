import type { KeyObject } from 'node:crypto';
import type { Fields } from '../wire/fields.js';
import { parseForm } from '../wire/form.js';
import { parseBeijing } from '../wire/time.js';
import type { SandboxRequest } from '../types.js';
import { fail } from './codes.js';
import { verifyFields } from './sign.js';

/** A merchant signing certificate the gateway issued, looked up by `certId`. */
export interface MerchantCert {
  merId: string;
  certId: string;
  publicKey: KeyObject;
}

/** Reads a form-urlencoded request body; anything else is a format error. */
export function readForm(req: SandboxRequest): Fields {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/x-www-form-urlencoded\b/i.test(type)) {
    throw fail.format(`content-type must be application/x-www-form-urlencoded;charset=UTF-8, got "${type || 'none'}"`);
  }
  try {
    return parseForm(req.body.toString('utf8'));
  } catch (error) {
    throw fail.format((error as Error).message);
  }
}

const has = (fields: Fields, key: string) => Object.prototype.hasOwnProperty.call(fields, key);

export function requireFields(fields: Fields, ...keys: string[]): void {
  for (const key of keys) if (!has(fields, key)) throw fail.missing(key);
}

function expect(fields: Fields, key: string, allowed: readonly string[]): void {
  requireFields(fields, key);
  if (!allowed.includes(fields[key]!))
    throw fail.format(`${key}=${fields[key]} is not accepted here (expected ${allowed.join(' or ')})`);
}

/**
 * The envelope of every request: version 5.1.0, signMethod 01, UTF-8, no empty fields, a known
 * certId, a signature that verifies with that certificate, and a merId the certificate belongs to.
 */
export function verifyEnvelope(fields: Fields, certs: ReadonlyMap<string, MerchantCert>): MerchantCert {
  requireFields(fields, 'version', 'encoding', 'signMethod', 'certId', 'signature', 'merId');
  for (const key of Object.keys(fields)) {
    // An empty field is left out of the signing string but still sent: say so instead of a bare 9100004.
    if (fields[key] === '')
      throw fail.format(`${key} is empty: leave empty fields out of the request (they are not signed)`);
  }
  if (fields.version !== '5.1.0')
    throw fail.format(`version=${fields.version}: this gateway speaks 5.1.0 (SHA-256, signPubKeyCert)`);
  if (fields.signMethod !== '01')
    throw fail.format(
      `signMethod=${fields.signMethod}: only 01 (RSA with the merchant certificate) is enabled for this merchant`,
    );
  if (fields.encoding!.toUpperCase() !== 'UTF-8') throw fail.format(`encoding=${fields.encoding}: use UTF-8`);
  const cert = certs.get(fields.certId!);
  if (!cert) throw fail.certId(fields.certId!);
  if (!verifyFields(fields, cert.publicKey)) {
    throw fail.signature(
      `the signature does not match the fields sent under certId ${cert.certId} (sign the sorted k=v string of exactly the fields you send, raw values, SHA-256 lowercase hex, then SHA256withRSA)`,
    );
  }
  if (!/^\d{15}$/.test(fields.merId!)) throw fail.format(`merId=${fields.merId} must be 15 digits`);
  if (fields.merId !== cert.merId)
    throw fail.merchant(`certId ${cert.certId} belongs to merchant ${cert.merId}, not ${fields.merId}`);
  return cert;
}

/** Checks a `YYYYMMDDhhmmss` Beijing time and returns it as an instant. */
export function beijingTime(fields: Fields, key: string): Date {
  requireFields(fields, key);
  const date = /^\d{14}$/.test(fields[key]!) ? parseBeijing(fields[key]!) : undefined;
  if (!date) throw fail.txnTime(`${key}=${fields[key]} is not a YYYYMMDDhhmmss time (24-hour clock, Beijing time)`);
  return date;
}

/** `txnTime` must be "now" in Beijing time, within `skewMs` (catches server-local or 12-hour clocks). */
export function freshTxnTime(fields: Fields, now: Date, skewMs: number): Date {
  const date = beijingTime(fields, 'txnTime');
  const off = date.getTime() - now.getTime();
  if (Math.abs(off) > skewMs) {
    const hours = Math.round(off / 3_600_000);
    const hint =
      hours !== 0 && Math.abs(off - hours * 3_600_000) < skewMs
        ? ` (off by ${hours} h: txnTime must be Beijing time, UTC+8, whatever the server's time zone)`
        : '';
    throw fail.txnTime(
      `txnTime=${fields.txnTime} is ${Math.round(off / 1000)} s from the gateway's Beijing time${hint}`,
    );
  }
  return date;
}

export function orderId(fields: Fields, key = 'orderId'): string {
  requireFields(fields, key);
  if (!/^[0-9A-Za-z]{8,40}$/.test(fields[key]!))
    throw fail.format(`${key}=${fields[key]} must be 8-40 letters and digits (no - or _)`);
  return fields[key]!;
}

/** `txnAmt`: integer fen, 1 to 12 digits, no decimal point, no leading zero. */
export function amount(fields: Fields): number {
  requireFields(fields, 'txnAmt');
  if (!/^[1-9]\d{0,11}$/.test(fields.txnAmt!))
    throw fail.format(`txnAmt=${fields.txnAmt} must be a positive integer number of fen (no decimal point)`);
  return Number(fields.txnAmt);
}

export function url(fields: Fields, key: string): string {
  requireFields(fields, key);
  const value = fields[key]!;
  let parsed: URL | undefined;
  try {
    parsed = new URL(value);
  } catch {
    parsed = undefined;
  }
  if (!parsed || !/^https?:$/.test(parsed.protocol))
    throw fail.format(`${key}=${value} must be an absolute http(s) URL`);
  if (value.includes('~') || value.length > 256)
    throw fail.format(`${key} must be at most 256 characters and contain no ~`);
  return value;
}

/** Fields fixed for a consumption (txnType 01) on the front or app gateway. */
export function consumption(fields: Fields, front: boolean): void {
  expect(fields, 'txnType', ['01']);
  expect(fields, 'txnSubType', ['01']);
  expect(fields, 'bizType', ['000201']);
  expect(fields, 'channelType', ['07', '08']);
  expect(fields, 'accessType', ['0']);
  expect(fields, 'currencyCode', ['156']);
  url(fields, 'backUrl');
  if (front) url(fields, 'frontUrl');
}

/** Fields fixed for a refund (04) or cancel (31) on the back gateway. */
export function backTransaction(fields: Fields): '04' | '31' {
  expect(fields, 'txnType', ['04', '31']);
  expect(fields, 'txnSubType', ['00']);
  expect(fields, 'bizType', ['000201', '000000']);
  expect(fields, 'channelType', ['07', '08']);
  expect(fields, 'accessType', ['0']);
  if (has(fields, 'currencyCode')) expect(fields, 'currencyCode', ['156']);
  requireFields(fields, 'origQryId');
  if (!/^\d{21}$/.test(fields.origQryId!))
    throw fail.format(`origQryId=${fields.origQryId} must be the 21-digit queryId of the payment`);
  url(fields, 'backUrl');
  return fields.txnType as '04' | '31';
}

/** Fields fixed for a status query (txnType 00): by orderId + txnTime (sub 00) or by queryId (sub 02). */
export function query(
  fields: Fields,
): { by: 'order'; orderId: string; txnTime: string } | { by: 'queryId'; queryId: string } {
  expect(fields, 'txnType', ['00']);
  expect(fields, 'txnSubType', ['00', '02']);
  expect(fields, 'bizType', ['000000', '000201', '000802']);
  expect(fields, 'accessType', ['0']);
  if (fields.txnSubType === '02') {
    requireFields(fields, 'queryId');
    return { by: 'queryId', queryId: fields.queryId! };
  }
  const id = orderId(fields);
  beijingTime(fields, 'txnTime');
  return { by: 'order', orderId: id, txnTime: fields.txnTime! };
}
