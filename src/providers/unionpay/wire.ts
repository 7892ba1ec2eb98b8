import { ProviderError, SignatureError } from '../../errors/index.js';
import { encodeForm } from '../../wire/form.js';
import type { HttpClient } from '../../wire/http.js';
import type { UnionpayConfig } from './config.js';
import { detailCode } from './fields.js';
import { signRequest, type AcpFields } from './sign.js';
import type { AcpVerifier } from './verify.js';

/**
 * Parses a synchronous ACP response (spec §3): `k=v&k=v` with values *not* percent-encoded (raw
 * UTF-8, base64 with `+`, a PEM with CR LF). Split on `&` outside `{…}`/`[…]` and on the first `=`;
 * URL-decoding would turn the signature's `+` into spaces.
 */
export function parseAcpResponse(text: string): AcpFields {
  const fields: AcpFields = Object.create(null) as AcpFields;
  let depth = 0;
  let start = 0;
  const take = (end: number) => {
    const pair = text.slice(start, end);
    start = end + 1;
    if (pair === '') return;
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`malformed pair ${JSON.stringify(pair.slice(0, 40))}`);
    const key = pair.slice(0, eq);
    if (Object.prototype.hasOwnProperty.call(fields, key)) throw new Error(`field ${key} appears twice`);
    fields[key] = pair.slice(eq + 1);
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '{' || c === '[') depth++;
    else if ((c === '}' || c === ']') && depth > 0) depth--;
    else if (c === '&' && depth === 0) take(i);
  }
  take(text.length);
  return fields;
}

/** A failed ACP answer as a {@link ProviderError}: `code` = respCode, `subCode` = the 7-digit detail. */
export function acpError(
  fields: Readonly<AcpFields>,
  what: string,
  retryableCodes: ReadonlySet<string> = new Set(),
): ProviderError {
  const code = fields.respCode ?? 'UNKNOWN';
  // 01–09 are UnionPay-side system errors: the same request may succeed later.
  const retryable = retryableCodes.has(code) || /^0[1-9]$/.test(code);
  return new ProviderError({
    provider: 'unionpay',
    code,
    subCode: detailCode(fields.respMsg),
    message: `${what} failed: ${code} ${fields.respMsg ?? ''}`.trim(),
    retryable,
    raw: { ...fields },
  });
}

/** One signed server-to-server call: sign, POST the form, parse the raw answer, verify it. */
export type AcpCall = (endpoint: string, fields: AcpFields, what: string) => Promise<AcpFields>;

export function acpCaller(config: UnionpayConfig, http: HttpClient, verify: AcpVerifier): AcpCall {
  return async (endpoint, fields, what) => {
    const signed = await signRequest(fields, config.signingKey);
    const res = await http({
      url: endpoint,
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8' },
      body: encodeForm(signed),
    });
    const text = res.body.toString('utf8');
    if (res.status !== 200) {
      throw new ProviderError({
        provider: 'unionpay',
        code: `HTTP_${res.status}`,
        message: `${what}: the gateway answered HTTP ${res.status}; the outcome is unknown, query before retrying`,
        retryable: res.status >= 500,
        raw: text.slice(0, 500),
      });
    }
    let answer: AcpFields;
    try {
      answer = parseAcpResponse(text);
    } catch (cause) {
      throw new ProviderError({
        provider: 'unionpay',
        code: 'RESPONSE_MALFORMED',
        message: `${what}: the gateway's answer is not an ACP k=v response (${(cause as Error).message})`,
        raw: text.slice(0, 500),
        cause,
      });
    }
    // An unsigned answer is never trusted as success, but its error code is still worth reporting.
    if (!answer.signature && answer.respCode && answer.respCode !== '00')
      throw acpError(answer, `${what} (unsigned answer)`);
    try {
      verify(answer);
    } catch (cause) {
      throw new ProviderError({
        provider: 'unionpay',
        code: 'RESPONSE_SIGNATURE',
        message: `${what}: the gateway's answer failed verification (${cause instanceof SignatureError ? cause.message : String(cause)})`,
        raw: { ...answer },
        cause,
      });
    }
    if (answer.merId !== undefined && answer.merId !== config.merId) {
      throw new ProviderError({
        provider: 'unionpay',
        code: 'MERCHANT_MISMATCH',
        message: `${what}: the answer is for merchant ${answer.merId}, not ${config.merId}`,
        raw: { ...answer },
      });
    }
    return answer;
  };
}
