import type { KeyObject } from 'node:crypto';
import { gateway, type GatewayFailure, type GatewayStages, type Verification } from '../../../wire/gateway.js';
import type { HttpClient, HttpResponse } from '../../../wire/http.js';
import { nonce, unixSeconds } from '../sign.js';
import { signRequest } from './sign.js';
import { verifySigned, type KeyLookup } from './verify.js';

type Json = Record<string, unknown>;

/** One v3 API call. */
export interface V3Call {
  method: 'GET' | 'POST';
  /** Path and query, appended to the gateway URL. */
  path: string;
  /** Serialised once; those exact bytes are signed and sent. */
  body?: unknown;
  /** A short name of the call for messages (`H5 prepay`, `order query`). */
  what: string;
  /** The `out_trade_no` a successful answer must name (the order query). */
  tradeNo?: string;
  /** The call succeeds with an empty `204` (close), which WeChat may send without signature headers. */
  empty?: boolean;
  /** Throws when a 2xx answer lacks what the call needs: the pipeline reports a malformed answer. */
  check?(answer: Json): void;
  /** The keys that verify the answer, when not the platform keys (the certificate list brings its own). */
  keys?: KeyLookup;
}

/** One v3 call through the gateway pipeline: the JSON of its verified, successful answer. */
export type V3Send = (call: V3Call) => Promise<Json>;

/** A {@link V3Call.check}: the answer must carry `field` as a non-empty string. */
export const requires = (field: string) => (answer: Json) => {
  if (typeof answer[field] !== 'string' || answer[field] === '') throw new Error(`the answer has no ${field}`);
};

/** What signing a request needs: the merchant, its key and certificate serial, the gateway and the clock. */
export interface V3Signer {
  mchId: string;
  serial: string;
  privateKey: KeyObject;
  /** Without a trailing slash. */
  gateway: string;
  clock: () => Date;
}

/** Codes after which the same request (same ids, same parameters) may succeed. */
const RETRYABLE = new Set([
  'SYSTEM_ERROR',
  'SYSTEMERROR',
  'BANKERROR',
  'FREQUENCY_LIMITED',
  'RATELIMIT_EXCEEDED',
  'SERVICE_UNAVAILABLE',
]);

const USER_AGENT = 'paymount';

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The `{code, message}` body of a v3 error answer, or `undefined` when the body is something else. */
function errorBody(res: HttpResponse): Json | undefined {
  try {
    const value: unknown = JSON.parse(res.body.toString('utf8'));
    return isObject(value) && typeof value.code === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

const success = (status: number) => status >= 200 && status < 300;

/**
 * The v3 stages of the gateway pipeline: a JSON body serialised once and signed with the merchant
 * key (`Authorization: WECHATPAY2-SHA256-RSA2048 …`, the canonical URL being the path and query as
 * sent, gateway prefix included); 2xx answers verified over the raw bytes with the platform keys;
 * 4xx/5xx answers unsigned JSON `{code, message}`, anything else in their place (a proxy's page)
 * left to the pipeline as an unreadable status; `202` accepted but not finished, retryable.
 */
export function v3Stages(signer: V3Signer, platformKeys: KeyLookup): GatewayStages<V3Call, Json> {
  const origin = new URL(signer.gateway).origin;
  return {
    provider: 'wechatpay',
    describe: (call) => call.what,

    async request(call) {
      const url = `${signer.gateway}${call.path}`;
      const text = call.body === undefined ? '' : JSON.stringify(call.body);
      const authorization = await signRequest(signer.privateKey, {
        mchId: signer.mchId,
        serialNo: signer.serial,
        method: call.method,
        canonicalUrl: url.slice(origin.length),
        body: text,
        timestamp: unixSeconds(signer.clock),
        nonceStr: nonce(),
      });
      const headers: Record<string, string> = { authorization, accept: 'application/json', 'user-agent': USER_AGENT };
      if (call.body !== undefined) headers['content-type'] = 'application/json';
      return { url, method: call.method, headers, body: call.body === undefined ? undefined : text };
    },

    readable: (status, res) => success(status) || (status >= 400 && errorBody(res) !== undefined),

    parse(res, call) {
      if (!success(res.status)) return errorBody(res) ?? {};
      const answer: unknown = res.body.length === 0 ? {} : JSON.parse(res.body.toString('utf8'));
      if (!isObject(answer)) throw new Error('the answer is not a JSON object');
      // A 202 is not the answer yet: the pipeline reports it as retryable.
      if (res.status !== 202) call.check?.(answer);
      return answer;
    },

    async verify(res, _answer, call): Promise<Verification> {
      // Error answers carry no Wechatpay-* headers: their content is only ever reported, never trusted.
      if (!success(res.status)) return 'unsigned';
      if (!res.headers['wechatpay-signature']) {
        // An empty 204 has no content to trust: the status is the whole answer.
        if (res.status === 204 && call.empty && res.body.length === 0) return 'verified';
        if (res.status === 202) return 'unsigned';
      }
      await verifySigned({ headers: res.headers, body: res.body }, call.keys ?? platformKeys, signer.clock);
      return 'verified';
    },

    failure(answer, res): GatewayFailure | undefined {
      const requestId = res.headers['request-id'];
      const where = `HTTP ${res.status}${requestId ? `, Request-ID ${requestId}` : ''}`;
      if (success(res.status)) {
        if (res.status !== 202) return undefined;
        return {
          providerCode: typeof answer.code === 'string' ? answer.code : 'HTTP_202',
          message: `accepted but not finished; retry with the same parameters (${where})`,
          retryable: true,
        };
      }
      const code = String(answer.code);
      const message = typeof answer.message === 'string' ? answer.message : `HTTP ${res.status}`;
      const hint =
        code === 'SIGN_ERROR' ? " (check v3.privateKey matches v3.certificateSerial, and this server's clock)" : '';
      return {
        providerCode: code,
        message: `${message}${hint} (${where})`,
        retryable: res.status >= 500 || res.status === 429 || RETRYABLE.has(code),
      };
    },

    identity(answer, call) {
      if (call.tradeNo === undefined || answer.out_trade_no === call.tradeNo) return undefined;
      return `the answer is about trade ${JSON.stringify(answer.out_trade_no)}, not ${call.tradeNo}`;
    },
  };
}

/** The v3 call function: {@link v3Stages} over `http`, answers verified with `platformKeys`. */
export function v3Send(signer: V3Signer, http: HttpClient, platformKeys: KeyLookup): V3Send {
  return gateway(v3Stages(signer, platformKeys), http);
}
