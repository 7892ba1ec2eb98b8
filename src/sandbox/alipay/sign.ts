import type { KeyObject } from 'node:crypto';
import { rsaSign, rsaVerify } from '../../wire/rsa.js';

/**
 * The strings the gateway signs and checks (spec §3). Written here from the spec rather than
 * borrowed from the client, so a client mistake cannot be mirrored by its own simulator.
 */

/** Sorted `k=v&…` with raw values, empty values and `exclude` left out. */
export function checkString(params: Readonly<Record<string, string>>, exclude: readonly string[]): string {
  return Object.keys(params)
    .filter((key) => params[key] !== '' && !exclude.includes(key))
    .sort()
    .map((key) => `${key}=${params[key]}`)
    .join('&');
}

/** §3.1: what the merchant signed. Only `sign` is left out; `sign_type` is part of it. */
export function requestCheckString(params: Readonly<Record<string, string>>): string {
  return checkString(params, ['sign']);
}

/** §3.2 V1 rule (payment notifies and returns): `sign` and `sign_type` are both left out. */
export function v1CheckString(params: Readonly<Record<string, string>>): string {
  return checkString(params, ['sign', 'sign_type']);
}

/** Verifies a merchant's RSA2 request signature: exactly one verify, never throws. */
export function verifyRequest(params: Readonly<Record<string, string>>, appKey: KeyObject): boolean {
  return rsaVerify(appKey, requestCheckString(params), params.sign ?? '', 'sha256');
}

/**
 * Signs notify or return fields under the V1 rule, then adds `sign` and `sign_type=RSA2` (which
 * is sent but, by that rule, not signed).
 */
export async function signV1(
  fields: Readonly<Record<string, string>>,
  alipayKey: KeyObject,
): Promise<Record<string, string>> {
  const sign = await rsaSign(alipayKey, v1CheckString(fields), 'sha256');
  return { ...fields, sign, sign_type: 'RSA2' };
}
