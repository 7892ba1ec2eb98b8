import { encodeForm } from '../../wire/form.js';
import { ProviderError } from '../../errors/index.js';
import { httpClient, type HttpClient } from '../../wire/http.js';
import type { AlipayConfig } from './config.js';
import { readResponse, type AlipayResponse } from './response.js';
import { commonParams, signRequest } from './sign.js';

/** Calls one `gateway.do` method: build params → sign → POST → verify → read (yansongda-style steps). */
export type AlipayCall = (
  method: string,
  biz: Record<string, unknown>,
  extra?: Record<string, string>,
) => Promise<AlipayResponse>;

export function alipayClient(
  config: AlipayConfig,
  clock: () => Date,
  http: HttpClient = httpClient({ provider: 'alipay', timeoutMs: config.timeoutMs, ca: config.ca }),
): AlipayCall {
  return async (method, biz, extra = {}) => {
    const { biz_content, ...system } = await signRequest(config, {
      ...commonParams(config, method, clock()),
      ...extra,
      biz_content: JSON.stringify(biz),
    });
    // System parameters (charset among them: the gateway needs it to decode the body) go in the
    // URL, biz_content in the body; the gateway merges both, so each is sent exactly once.
    const res = await http({
      url: `${config.gateway}${config.gateway.includes('?') ? '&' : '?'}${encodeForm(system)}`,
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded;charset=utf-8' },
      body: encodeForm({ biz_content: biz_content! }),
    });
    const body = res.body.toString('utf8');
    if (res.status !== 200) {
      throw new ProviderError({
        provider: 'alipay',
        code: `HTTP_${res.status}`,
        message: `${method}: the gateway answered HTTP ${res.status}`,
        retryable: res.status >= 500,
        raw: body.slice(0, 200),
      });
    }
    return readResponse(config, method, body);
  };
}
