import { encodeForm } from '../../core/form.js';
import { ProviderError } from '../../core/errors.js';
import { httpClient, type HttpClient } from '../../http/client.js';
import type { AlipayConfig } from './config.js';
import { readResponse, type AlipayResponse } from './response.js';
import { commonParams, signRequest } from './sign.js';

/** Calls one `gateway.do` method: build params → sign → POST → verify → read (yansongda-style steps). */
export type AlipayCall = (method: string, biz: Record<string, unknown>, extra?: Record<string, string>) => Promise<AlipayResponse>;

export function alipayClient(config: AlipayConfig, clock: () => Date, http: HttpClient = httpClient({ provider: 'alipay', timeoutMs: config.timeoutMs, ca: config.ca })): AlipayCall {
  return async (method, biz, extra = {}) => {
    const params = await signRequest(config, { ...commonParams(config, method, clock()), ...extra, biz_content: JSON.stringify(biz) });
    // `charset` stays in the URL: the gateway needs it to decode the body.
    const url = `${config.gateway}${config.gateway.includes('?') ? '&' : '?'}charset=utf-8`;
    const res = await http({
      url,
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded;charset=utf-8' },
      body: encodeForm(params),
    });
    const body = res.body.toString('utf8');
    if (res.status !== 200) {
      throw new ProviderError({ provider: 'alipay', code: `HTTP_${res.status}`, message: `${method}: the gateway answered HTTP ${res.status}`, retryable: res.status >= 500, raw: body.slice(0, 200) });
    }
    return readResponse(config, method, body);
  };
}
