import { canonicalString } from '../../wire/canonical.js';
import { rsaSign, rsaVerify } from '../../wire/rsa.js';
import { beijingDateTime } from '../../wire/time.js';
import type { AlipayConfig } from './config.js';

/**
 * The signing rules (spec §3). Requests sign every parameter but `sign`, `sign_type` included;
 * payment notifies and returns are signed without `sign` *and* `sign_type` (the "V1" rule). One
 * rule per message type, never a second attempt with the other.
 */

/** The public parameters of a request, before `biz_content` and signing. */
export function commonParams(config: AlipayConfig, method: string, now: Date): Record<string, string> {
  const params: Record<string, string> = {
    app_id: config.appId,
    method,
    format: 'JSON',
    charset: 'utf-8',
    sign_type: 'RSA2',
    timestamp: beijingDateTime(now),
    version: '1.0',
  };
  if (config.certs) {
    params.app_cert_sn = config.certs.appCertSn;
    params.alipay_root_cert_sn = config.certs.rootCertSn;
  }
  return params;
}

/** Adds `sign` to request parameters (empty values are dropped first: Alipay signs without them). */
export async function signRequest(
  config: AlipayConfig,
  params: Record<string, string>,
): Promise<Record<string, string>> {
  const kept = Object.fromEntries(Object.entries(params).filter(([, v]) => v !== ''));
  return { ...kept, sign: await rsaSign(config.privateKey, canonicalString(kept, ['sign'])) };
}

/** Verifies a notify or return under the V1 rule (`sign` and `sign_type` excluded). */
export function verifyV1(config: AlipayConfig, fields: Readonly<Record<string, string>>): boolean {
  return rsaVerify(config.alipayKey, canonicalString(fields, ['sign', 'sign_type']), fields.sign ?? '');
}
