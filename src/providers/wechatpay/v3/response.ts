import { ProviderError, SignatureError } from '../../../errors/index.js';
import type { HttpResponse } from '../../../wire/http.js';
import { verifySigned, type KeyLookup } from './verify.js';

const RETRYABLE = new Set([
  'SYSTEM_ERROR',
  'SYSTEMERROR',
  'BANKERROR',
  'FREQUENCY_LIMITED',
  'RATELIMIT_EXCEEDED',
  'SERVICE_UNAVAILABLE',
]);

/** A v3 error response (`{code, message, detail}`, never signed) as a {@link ProviderError}. */
export function v3Error(res: HttpResponse, what: string): ProviderError {
  let code = `HTTP_${res.status}`;
  let message = res.body.toString('utf8').slice(0, 200) || `HTTP ${res.status}`;
  let raw: unknown = message;
  try {
    const parsed = JSON.parse(res.body.toString('utf8')) as { code?: unknown; message?: unknown };
    raw = parsed;
    if (typeof parsed.code === 'string') code = parsed.code;
    if (typeof parsed.message === 'string') message = parsed.message;
  } catch {
    // not JSON: keep the text
  }
  const hint =
    code === 'SIGN_ERROR'
      ? " (check v3.privateKey matches v3.certificateSerial, and this server's clock)"
      : res.status === 404 && code === `HTTP_404`
        ? ' (is gateway right?)'
        : '';
  const requestId = res.headers['request-id'];
  return new ProviderError({
    provider: 'wechatpay',
    code,
    message: `${what} failed: ${message}${hint} (HTTP ${res.status}${requestId ? `, Request-ID ${requestId}` : ''})`,
    retryable: res.status >= 500 || res.status === 429 || RETRYABLE.has(code),
    raw,
  });
}

/**
 * Verifies a 2xx response's signature (exactly one RSA verify over the raw body) and parses it.
 * A 204 without signature headers (close) carries nothing to trust and is accepted as is.
 */
export async function verifiedJson(
  res: HttpResponse,
  lookup: KeyLookup,
  clock: () => Date,
  what: string,
): Promise<Record<string, unknown>> {
  if (res.status === 204 && !res.headers['wechatpay-signature']) return {};
  try {
    await verifySigned({ headers: res.headers, body: res.body }, lookup, clock);
  } catch (error) {
    if (!(error instanceof SignatureError)) throw error;
    throw new ProviderError({
      provider: 'wechatpay',
      code: 'RESPONSE_SIGNATURE_INVALID',
      message: `${what}: the response is not verifiably from WeChat Pay: ${error.message}`,
      raw: res.body.toString('utf8').slice(0, 500),
      cause: error,
    });
  }
  if (res.body.length === 0) return {};
  try {
    const value: unknown = JSON.parse(res.body.toString('utf8'));
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new ProviderError({
    provider: 'wechatpay',
    code: 'RESPONSE_INVALID',
    message: `${what}: the response is not a JSON object`,
  });
}
