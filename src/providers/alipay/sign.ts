import { canonicalString } from '../../wire/canonical.js';
import { rsaSign, rsaVerify } from '../../wire/rsa.js';
import { beijingDateTime } from '../../wire/time.js';
import type { AlipayConfig } from './config.js';

/**
 * The signing rules (docs/providers/alipay.md#signing). Requests sign every parameter but `sign`, `sign_type` included;
 * payment notifies and returns are signed without `sign` *and* `sign_type` (the "V1" rule); a
 * gateway answer signs the raw text of its response node. One rule per message type, never a
 * second attempt with another.
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

/**
 * Alipay signs the exact text of the `<method>_response` value
 * (docs/providers/alipay.md#response-verification). Re-serialising the parsed JSON changes `\/`
 * escapes, spacing and order, so the value is cut from the raw text with a string-aware brace matcher.
 */
export function signedValue(body: string, node: string): string | undefined {
  const key = `"${node}"`;
  let i = body.indexOf(key);
  if (i === -1) return undefined;
  i += key.length;
  while (
    i < body.length &&
    (body[i] === ':' || body[i] === ' ' || body[i] === '\n' || body[i] === '\r' || body[i] === '\t')
  )
    i++;
  const start = i;
  const open = body[start];
  if (open === '"') {
    // An encrypted response is a JSON string; its quotes are part of the signed text.
    for (i = start + 1; i < body.length; i++) {
      if (body[i] === '\\') i++;
      else if (body[i] === '"') return body.slice(start, i + 1);
    }
    return undefined;
  }
  if (open !== '{') return undefined;
  let depth = 0;
  let inString = false;
  for (i = start; i < body.length; i++) {
    const c = body[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return body.slice(start, i + 1);
  }
  return undefined;
}
