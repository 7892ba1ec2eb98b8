import { ProviderError, SignatureError } from '../../errors/index.js';
import { rsaVerify } from '../../wire/rsa.js';
import type { AlipayConfig } from './config.js';

/**
 * Alipay signs the exact text of the `<method>_response` value (spec §7.2). Re-serialising the
 * parsed JSON changes `\/` escapes, spacing and order, so the value is cut from the raw text with a
 * string-aware brace matcher.
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

/** Fields of a business response; values are what Alipay sent (strings, arrays of objects…). */
export type AlipayResponse = Record<string, unknown> & {
  code?: string;
  msg?: string;
  sub_code?: string;
  sub_msg?: string;
};

const RETRYABLE = new Set(['ACQ.SYSTEM_ERROR', 'isp.unknow-error', 'aop.unknow-error', 'isp.unknown-error']);

/**
 * Verifies and reads a gateway answer: the signature over the raw substring (for every success,
 * and for every failure that carries one), the certificate SN in certificate mode, then `code`.
 */
export function readResponse(config: AlipayConfig, method: string, body: string): AlipayResponse {
  const node = `${method.replace(/\./g, '_')}_response`;
  let envelope: Record<string, unknown>;
  try {
    envelope = JSON.parse(body) as Record<string, unknown>;
  } catch {
    throw new ProviderError({
      provider: 'alipay',
      code: 'BAD_RESPONSE',
      message: `the gateway answered ${method} with something that is not JSON (is gateway the right URL?)`,
      raw: body.slice(0, 200),
    });
  }
  const name = node in envelope ? node : 'error_response';
  const response = envelope[name] as AlipayResponse | undefined;
  if (!response || typeof response !== 'object') {
    throw new ProviderError({
      provider: 'alipay',
      code: 'BAD_RESPONSE',
      message: `the gateway's answer to ${method} has no ${node}`,
      raw: envelope,
    });
  }
  const sign = typeof envelope.sign === 'string' ? envelope.sign : '';
  if (response.code === '10000' || sign) {
    if (
      config.certs &&
      envelope.alipay_cert_sn !== undefined &&
      envelope.alipay_cert_sn !== config.certs.alipayCertSn
    ) {
      throw new SignatureError(
        `Alipay signed with certificate ${String(envelope.alipay_cert_sn)} but certificates.alipayCert is ${config.certs.alipayCertSn}: download the current Alipay public key certificate`,
      );
    }
    const signed = signedValue(body, name);
    if (!signed || !rsaVerify(config.alipayKey, signed, sign)) {
      throw new SignatureError(
        `the signature of the ${method} response does not verify: check that alipayPublicKey is the Alipay public key of this app and gateway`,
      );
    }
  }
  if (response.code !== '10000') {
    throw new ProviderError({
      provider: 'alipay',
      code: String(response.code ?? 'UNKNOWN'),
      subCode: response.sub_code,
      message:
        `${method} failed: ${response.sub_code ?? response.code} ${response.sub_msg ?? response.msg ?? ''}`.trim(),
      retryable: response.code === '20000' || RETRYABLE.has(response.sub_code ?? ''),
      raw: response,
    });
  }
  return response;
}
