import type { KeyObject } from 'node:crypto';
import { httpClient, type HttpResponse } from '../../../wire/http.js';
import { nonce, unixSeconds } from '../nonce.js';
import { signRequest } from './sign.js';

/** Sends one signed v3 request; the response is returned unverified (see `api.ts`). */
export type V3Send = (method: 'GET' | 'POST', path: string, body?: unknown) => Promise<HttpResponse>;

const USER_AGENT = 'paymount';

/**
 * A v3 request: the body serialised once and those exact bytes signed and sent; the canonical URL
 * is the path and query exactly as sent, including any path prefix of the gateway.
 */
export function v3Transport(init: {
  mchId: string;
  serial: string;
  privateKey: KeyObject;
  gateway: string;
  ca?: string;
  clock: () => Date;
}): V3Send {
  const http = httpClient({ provider: 'wechatpay', ca: init.ca });
  const origin = new URL(init.gateway).origin;
  return async (method, path, body) => {
    const url = `${init.gateway}${path}`;
    const text = body === undefined ? '' : JSON.stringify(body);
    const authorization = await signRequest(init.privateKey, {
      mchId: init.mchId,
      serialNo: init.serial,
      method,
      canonicalUrl: url.slice(origin.length),
      body: text,
      timestamp: unixSeconds(init.clock),
      nonceStr: nonce(),
    });
    const headers: Record<string, string> = { authorization, accept: 'application/json', 'user-agent': USER_AGENT };
    if (body !== undefined) headers['content-type'] = 'application/json';
    return http({ url, method, headers, body: body === undefined ? undefined : text });
  };
}
