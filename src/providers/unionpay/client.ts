import { ProviderError } from '../../errors/index.js';
import { encodeForm } from '../../wire/form.js';
import { gateway, type GatewayFailure, type GatewayStages, type Verification } from '../../wire/gateway.js';
import { httpClient, type HttpClient, type HttpRequest } from '../../wire/http.js';
import type { UnionpayConfig } from './config.js';
import { detailCode } from './fields.js';
import { signRequest, type AcpFields } from './sign.js';
import type { AcpVerifier } from './verify.js';

/** One server-to-server ACP call. */
export interface AcpRequest {
  /** Which of the configured endpoints: `appTransReq.do`, `backTransReq.do` or `queryTrans.do`. */
  endpoint: 'app' | 'back' | 'query';
  /** The request's fields, unsigned: the client signs them. */
  fields: AcpFields;
  /** A short name of the call for messages (`queryTrans`, `refund (04)`). */
  what: string;
  /**
   * `respCode`s besides `00` that answer this call rather than fail it: `34` "no such transaction"
   * for a query, `03`/`04`/`05` "in progress" for a refund.
   */
  accept?: ReadonlySet<string>;
}

/** Sends one signed call and resolves with UnionPay's verified answer. */
export type AcpCall = (request: AcpRequest) => Promise<AcpFields>;

/** `01`–`09` are UnionPay-side system errors: the same request may succeed later. */
const RETRYABLE = /^0[1-9]$/;

/**
 * UnionPay's stages of the gateway pipeline (`wire/gateway.ts`): a signed form POST, a raw `k=v`
 * answer verified against the certificate chain, `respCode` as the verdict, `merId` and the
 * `orderId` asked about as the identity.
 */
export function unionpayStages(config: UnionpayConfig, verify: AcpVerifier): GatewayStages<AcpRequest, AcpFields> {
  return {
    provider: 'unionpay',
    describe: (call) => call.what,
    request: (call) => encodeRequest(config, call),
    parse: (res) => parseAnswer(res.body.toString('utf8')),
    verify: (_res, answer): Verification => {
      if (!answer.signature) return 'unsigned';
      verify(answer);
      return 'verified';
    },
    failure: (answer, _res, call) => failureOf(answer, call),
    identity: (answer, call) => strangerIn(config, answer, call),
  };
}

/** The call function of one provider instance: every gateway call of UnionPay goes through it. */
export function unionpayClient(
  config: UnionpayConfig,
  verify: AcpVerifier,
  http: HttpClient = httpClient({ provider: 'unionpay', timeoutMs: config.timeoutMs, ca: config.ca }),
): AcpCall {
  return gateway(unionpayStages(config, verify), http);
}

/**
 * The answer of a call UnionPay verifiably refused, or `undefined` when `error` is anything else:
 * unreachable, unreadable, an HTTP error, or a refusal without a signature, none of which says
 * for certain that the request was not taken.
 */
export function refusal(error: unknown): AcpFields | undefined {
  if (!(error instanceof ProviderError) || error.provider !== 'unionpay' || error.code !== 'PROVIDER_REJECTED') {
    return undefined;
  }
  const answer = error.raw;
  if (typeof answer !== 'object' || answer === null) return undefined;
  const fields = answer as Partial<AcpFields>;
  // The verify stage runs before the failure stage: a refusal that carries a signature passed it.
  return fields.signature && fields.respCode === error.providerCode ? (answer as AcpFields) : undefined;
}

async function encodeRequest(config: UnionpayConfig, call: AcpRequest): Promise<HttpRequest> {
  const signed = await signRequest(call.fields, config.signingKey);
  return {
    url: config.endpoints[call.endpoint],
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8' },
    body: encodeForm(signed),
  };
}

function parseAnswer(text: string): AcpFields {
  const fields = parseAcpResponse(text);
  if (!fields.respCode) throw new Error('it has no respCode');
  return fields;
}

/**
 * Parses a synchronous ACP response (docs/providers/unionpay.md#message-format): `k=v&k=v` with values
 * *not* percent-encoded (raw UTF-8, base64 with `+`, a PEM with CR LF). Split on `&` outside
 * `{…}`/`[…]` and on the first `=`; URL-decoding would turn the signature's `+` into spaces.
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

function failureOf(answer: Readonly<AcpFields>, call: AcpRequest): GatewayFailure | undefined {
  const code = answer.respCode ?? '';
  if (code === '00') return undefined;
  // An accepted code answers the call only when signed: an unsigned one is never proof of anything,
  // so it is reported as the failure it names (a caller may still read "no such transaction" from it).
  if (answer.signature && call.accept?.has(code)) return undefined;
  return {
    providerCode: code,
    subCode: detailCode(answer.respMsg),
    message: `${code} ${answer.respMsg ?? ''}`.trim(),
    retryable: RETRYABLE.test(code),
  };
}

/**
 * Another merchant's answer, or one about another transaction (a signed answer replayed from an
 * earlier call), must not decide this call. A success names the merchant and the order; "no such
 * transaction" or "in progress" may leave them out, but never name others.
 */
function strangerIn(config: UnionpayConfig, answer: Readonly<AcpFields>, call: AcpRequest): string | undefined {
  // A success always names the merchant (docs/providers/unionpay.md#verification): one without is refused too.
  if (answer.merId === undefined ? answer.respCode === '00' : answer.merId !== config.merId) {
    return `the answer is for merchant ${answer.merId ?? '(none)'}, not ${config.merId}`;
  }
  const asked = call.fields.orderId;
  if (asked === undefined) return undefined;
  const answered = answer.orderId;
  if (answered === undefined ? answer.respCode === '00' : answered !== asked) {
    return `the answer is about order ${answered ?? '(none)'}, not ${asked}`;
  }
  return undefined;
}
