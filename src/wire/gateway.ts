import { ProviderError, SignatureError } from '../errors/index.js';
import type { HttpClient, HttpRequest, HttpResponse } from './http.js';

/**
 * The one pipeline every provider call goes through: encode → sign → send → status → parse →
 * verify → failure → identity. Providers supply the stages that differ; the pipeline owns the
 * order and the errors, so one kind of failure has one code and one retryable flag for every
 * provider (docs/architecture.md#the-gateway-pipeline):
 *
 * | failure                                   | code                         | retryable |
 * |-------------------------------------------|------------------------------|-----------|
 * | not reached, timed out (the HTTP client)  | `PROVIDER_UNAVAILABLE`       | yes       |
 * | HTTP 5xx or 429 without a readable answer | `PROVIDER_UNAVAILABLE`       | yes       |
 * | another HTTP status without one           | `PROVIDER_REJECTED` `HTTP_n` | no        |
 * | an answer that cannot be parsed           | `RESPONSE_MALFORMED`         | no        |
 * | a signature that does not verify          | `RESPONSE_SIGNATURE_INVALID` | no        |
 * | the provider's own error                  | `PROVIDER_REJECTED`          | the provider's list |
 * | another merchant, app or trade            | `RESPONSE_MISMATCH`          | no        |
 */

/** A provider-reported failure found in a verified (or legitimately unsigned) answer. */
export interface GatewayFailure {
  /** The provider's own code (`40004`, `ORDERPAID`, `12`). */
  providerCode: string;
  subCode?: string;
  message: string;
  retryable: boolean;
}

/** What the signature stage found: a verified answer, or one that carries no signature at all. */
export type Verification = 'verified' | 'unsigned';

/** The stages a provider supplies. `C` is the provider's description of one call, `A` its parsed answer. */
export interface GatewayStages<C, A> {
  provider: string;
  /** A short name of the call for messages (`alipay.trade.query`, `H5 prepay`). */
  describe(call: C): string;
  /** Encodes and signs the call into the HTTP request to send. */
  request(call: C): Promise<HttpRequest>;
  /**
   * Whether a response with this status carries an answer to read (default: 200 only). The
   * response is given too: where a provider answers errors with a 4xx/5xx status and a structured
   * body, only the body tells its answer from a proxy's or a load balancer's error page.
   */
  readable?(status: number, res: HttpResponse): boolean;
  /** Parses the answer; throws when it cannot (the message says why). */
  parse(res: HttpResponse, call: C): A;
  /**
   * Checks the answer's signature: `'verified'`, `'unsigned'` when the answer carries no
   * signature (acceptable only for a failure: an unsigned success is never trusted), or throws a
   * `SignatureError` saying what is wrong.
   */
  verify(res: HttpResponse, answer: A, call: C): Verification | Promise<Verification>;
  /** The provider's failure reported in the answer, if any. */
  failure(answer: A, res: HttpResponse, call: C): GatewayFailure | undefined;
  /** What in a successful answer does not belong to this merchant or call, if anything. */
  identity?(answer: A, call: C): string | undefined;
}

/** Builds a call function from the provider's stages and an HTTP client. */
export function gateway<C, A>(stages: GatewayStages<C, A>, http: HttpClient): (call: C) => Promise<A> {
  const { provider } = stages;
  const readable = (status: number, res: HttpResponse) => stages.readable?.(status, res) ?? status === 200;
  return async (call) => {
    const what = stages.describe(call);
    const res = await http(await stages.request(call));
    if (!readable(res.status, res)) {
      const unavailable = res.status >= 500 || res.status === 429;
      throw new ProviderError({
        provider,
        code: unavailable ? 'PROVIDER_UNAVAILABLE' : 'PROVIDER_REJECTED',
        providerCode: `HTTP_${res.status}`,
        message:
          `${what}: the gateway answered HTTP ${res.status}` +
          (unavailable ? '; the outcome is unknown, query before retrying' : ' (is the gateway URL right?)'),
        raw: res.body.toString('utf8').slice(0, 500),
      });
    }
    let answer: A;
    try {
      answer = stages.parse(res, call);
    } catch (cause) {
      throw new ProviderError({
        provider,
        code: 'RESPONSE_MALFORMED',
        message: `${what}: the answer could not be read (${(cause as Error).message}); is the gateway URL right?`,
        raw: res.body.toString('utf8').slice(0, 500),
        cause,
      });
    }
    let verification: Verification;
    try {
      verification = await stages.verify(res, answer, call);
    } catch (cause) {
      if (!(cause instanceof SignatureError)) throw cause;
      throw signatureFailure(provider, what, cause.message, res, cause);
    }
    const failure = stages.failure(answer, res, call);
    if (failure) {
      throw new ProviderError({
        provider,
        providerCode: failure.providerCode,
        subCode: failure.subCode,
        message: `${what} failed: ${failure.message}`,
        retryable: failure.retryable,
        raw: answer,
      });
    }
    if (verification !== 'verified') {
      throw signatureFailure(provider, what, 'a success answer carries no signature', res);
    }
    const stranger = stages.identity?.(answer, call);
    if (stranger) {
      throw new ProviderError({ provider, code: 'RESPONSE_MISMATCH', message: `${what}: ${stranger}`, raw: answer });
    }
    return answer;
  };
}

function signatureFailure(provider: string, what: string, reason: string, res: HttpResponse, cause?: unknown) {
  return new ProviderError({
    provider,
    code: 'RESPONSE_SIGNATURE_INVALID',
    message: `${what}: the answer is not verifiably the provider's: ${reason}`,
    raw: res.body.toString('utf8').slice(0, 500),
    cause,
  });
}
