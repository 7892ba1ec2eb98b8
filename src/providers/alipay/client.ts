import { ProviderError, SignatureError } from '../../errors/index.js';
import { encodeForm } from '../../wire/form.js';
import { gateway, type GatewayFailure, type GatewayStages, type Verification } from '../../wire/gateway.js';
import { httpClient, type HttpClient, type HttpRequest, type HttpResponse } from '../../wire/http.js';
import { rsaVerify } from '../../wire/rsa.js';
import type { AlipayConfig } from './config.js';
import { commonParams, signedValue, signRequest } from './sign.js';

/** One `gateway.do` call: the API method and its `biz_content`. */
export interface AlipayRequest {
  method: string;
  biz: Record<string, unknown>;
}

/** Fields of a business response; values are what Alipay sent (strings, arrays of objects…). */
export type AlipayResponse = Record<string, unknown> & {
  code: string;
  msg?: string;
  sub_code?: string;
  sub_msg?: string;
};

/** A gateway answer, read: the business response and what vouches for it. */
export interface AlipayAnswer {
  /** `<method>_response`, or `error_response` when the gateway refused the call before the method ran. */
  node: string;
  /** The business fields, parsed from exactly the text the signature covers. */
  response: AlipayResponse;
  /** Base64, empty when the answer is unsigned (failures only). */
  sign: string;
  /** Certificate mode: the SN of the certificate Alipay signed with. */
  alipayCertSn: unknown;
}

/** Calls one `gateway.do` method and resolves with its verified business response. */
export type AlipayCall = (method: string, biz: Record<string, unknown>) => Promise<AlipayResponse>;

/** Sub codes of failures that may succeed when the same call is repeated (system busy, unknown error). */
const RETRYABLE = new Set(['ACQ.SYSTEM_ERROR', 'isp.unknow-error', 'aop.unknow-error', 'isp.unknown-error']);

const nodeOf = (method: string) => `${method.replace(/\./g, '_')}_response`;

/** Alipay's stages of the gateway pipeline (`wire/gateway.ts`): OpenAPI v2, RSA2, JSON answers. */
export function alipayStages(config: AlipayConfig, clock: () => Date): GatewayStages<AlipayRequest, AlipayAnswer> {
  return {
    provider: 'alipay',
    describe: (call) => call.method,
    request: (call) => encodeRequest(config, call, clock()),
    parse: (res, call) => parseAnswer(res, call),
    verify: (res, answer) => verifyAnswer(config, res, answer),
    failure: (answer) => failureOf(answer.response),
    identity: (answer, call) => strangerIn(answer.response, call),
  };
}

/** The call function of one provider instance: every gateway call of Alipay goes through it. */
export function alipayClient(
  config: AlipayConfig,
  clock: () => Date,
  http: HttpClient = httpClient({ provider: 'alipay', timeoutMs: config.timeoutMs, ca: config.ca }),
): AlipayCall {
  const call = gateway(alipayStages(config, clock), http);
  return async (method, biz) => (await call({ method, biz })).response;
}

/**
 * The business response of a call Alipay refused with `subCode` (e.g. `ACQ.TRADE_NOT_EXIST`), or
 * `undefined` when `error` is anything else.
 */
export function refusedWith(error: unknown, subCode: string): AlipayResponse | undefined {
  if (!(error instanceof ProviderError) || error.provider !== 'alipay' || error.subCode !== subCode) return undefined;
  const raw = error.raw as Partial<AlipayAnswer> | undefined;
  return raw?.response ?? { code: error.providerCode ?? '', sub_code: subCode };
}

async function encodeRequest(config: AlipayConfig, call: AlipayRequest, now: Date): Promise<HttpRequest> {
  const { biz_content, ...system } = await signRequest(config, {
    ...commonParams(config, call.method, now),
    biz_content: JSON.stringify(call.biz),
  });
  if (biz_content === undefined) throw new Error('the signed request lost its biz_content');
  // System parameters (charset among them: the gateway needs it to decode the body) go in the
  // URL, biz_content in the body; the gateway merges both, so each is sent exactly once.
  return {
    url: `${config.gateway}${config.gateway.includes('?') ? '&' : '?'}${encodeForm(system)}`,
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded;charset=utf-8' },
    body: encodeForm({ biz_content }),
  };
}

function parseAnswer(res: HttpResponse, call: AlipayRequest): AlipayAnswer {
  const text = res.body.toString('utf8');
  let envelope: unknown;
  try {
    envelope = JSON.parse(text);
  } catch {
    throw new Error('it is not JSON');
  }
  if (!isObject(envelope)) throw new Error('it is not a JSON object');
  const own = nodeOf(call.method);
  const node = Object.prototype.hasOwnProperty.call(envelope, own) ? own : 'error_response';
  // The response is read from the very text the signature covers: a body that repeats the node
  // cannot have one copy verified and another one used.
  const signed = signedValue(text, node);
  const response: unknown = signed?.startsWith('{') ? JSON.parse(signed) : undefined;
  if (!isObject(response)) throw new Error(`it has no ${own} object`);
  if (typeof response.code !== 'string') throw new Error(`its ${node} has no code`);
  return {
    node,
    response: response as AlipayResponse,
    sign: typeof envelope.sign === 'string' ? envelope.sign : '',
    alipayCertSn: envelope.alipay_cert_sn,
  };
}

/**
 * Every success, and every failure that carries a sign, is verified over the raw text of its node;
 * in certificate mode the certificate Alipay names must be the configured one.
 */
function verifyAnswer(config: AlipayConfig, res: HttpResponse, answer: AlipayAnswer): Verification {
  if (!answer.sign) return 'unsigned';
  if (config.certs && answer.alipayCertSn !== undefined && answer.alipayCertSn !== config.certs.alipayCertSn) {
    throw new SignatureError(
      // eslint-disable-next-line @typescript-eslint/no-base-to-string -- alipay_cert_sn as Alipay sent it
      `Alipay signed with certificate ${String(answer.alipayCertSn)} but certificates.alipayCert is ` +
        `${config.certs.alipayCertSn}: download the current Alipay public key certificate`,
    );
  }
  const signed = signedValue(res.body.toString('utf8'), answer.node);
  if (!signed || !rsaVerify(config.alipayKey, signed, answer.sign)) {
    throw new SignatureError(
      'the signature does not verify: check that alipayPublicKey is the Alipay public key of this app and gateway',
    );
  }
  return 'verified';
}

function failureOf(response: AlipayResponse): GatewayFailure | undefined {
  if (response.code === '10000') return undefined;
  return {
    providerCode: response.code,
    subCode: response.sub_code,
    message: `${response.sub_code ?? response.code} ${response.sub_msg ?? response.msg ?? ''}`.trim(),
    // 20000 is "service unavailable"; a few 40004 sub codes are transient too.
    retryable: response.code === '20000' || RETRYABLE.has(response.sub_code ?? ''),
  };
}

/**
 * Alipay's answers name no app, but they echo the trade: a signed answer about another trade (one
 * replayed from an earlier call) must not settle this one. A query's answer always names its
 * trade (docs/providers/alipay.md#query), so one that names none is refused too.
 */
function strangerIn(response: AlipayResponse, call: AlipayRequest): string | undefined {
  const asked = call.biz.out_trade_no;
  if (typeof asked !== 'string') return undefined;
  const answered = response.out_trade_no;
  if (answered === asked || (answered === undefined && call.method !== 'alipay.trade.query')) return undefined;
  const named = typeof answered === 'string' ? answered : answered === undefined ? '(none)' : JSON.stringify(answered);
  return `the answer is about trade ${named}, not ${asked}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
