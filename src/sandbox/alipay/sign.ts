import type { KeyObject } from 'node:crypto';
import { signRsa, verifyRsa } from '../wire/rsa.js';
import { sortedString } from '../wire/sorted-string.js';

/**
 * The strings the gateway signs and checks: the sorted `k=v&…` string of raw, non-empty values
 * (Alipay open platform, "自行实现签名" and "异步通知说明"). Built by the sandbox itself rather than
 * borrowed from the client, so a client mistake cannot be mirrored by its own simulator.
 */

/** A request: what the merchant signed. Only `sign` is left out; `sign_type` is part of it. */
export function requestCheckString(params: Readonly<Record<string, string>>): string {
  return sortedString(params, ['sign']);
}

/** Payment notifies and returns (the "V1" rule of Alipay's SDKs): `sign` and `sign_type` are both left out. */
export function v1CheckString(params: Readonly<Record<string, string>>): string {
  return sortedString(params, ['sign', 'sign_type']);
}

/** Verifies a merchant's RSA2 request signature: exactly one verify, never throws. */
export function verifyRequest(params: Readonly<Record<string, string>>, appKey: KeyObject): boolean {
  return verifyRsa(appKey, requestCheckString(params), params.sign ?? '', 'sha256');
}

/**
 * Signs notify or return fields under the V1 rule, then adds `sign` and `sign_type=RSA2` (which
 * is sent but, by that rule, not signed).
 */
export async function signV1(
  fields: Readonly<Record<string, string>>,
  alipayKey: KeyObject,
): Promise<Record<string, string>> {
  const sign = await signRsa(alipayKey, v1CheckString(fields), 'sha256');
  return { ...fields, sign, sign_type: 'RSA2' };
}
