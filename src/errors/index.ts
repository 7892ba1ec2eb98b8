import { ERROR_CODES, type PaymountErrorCode } from './codes.js';

export { ERROR_CODES, type PaymountErrorCode } from './codes.js';

/**
 * Every error paymount raises is a `PaymountError` with a stable `code` from {@link ERROR_CODES},
 * so hosts can branch on it without parsing messages. Messages name the most likely cause; they
 * never contain secrets.
 *
 * @example
 * try { await payments.refund(input) } catch (e) { if (e instanceof PaymountError && e.retryable) retryLater() }
 */
export class PaymountError extends Error {
  /** Stable machine-readable code, e.g. `ORDER_PAID`. */
  readonly code: PaymountErrorCode;
  /** HTTP status the router answers with when this error ends a request. */
  readonly status: number;
  /** True when the same call may succeed later (timeouts, a busy store): retry with the same ids. */
  readonly retryable: boolean;

  constructor(code: PaymountErrorCode, message: string, options?: { cause?: unknown; retryable?: boolean }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.retryable = options?.retryable ?? ERROR_CODES[code].retryable;
  }
}

/** A mistake in the options given to `createPayments` or a provider factory. */
export class ConfigError extends PaymountError {
  /** The option path at fault, e.g. `providers.alipay.alipayPublicKey`. */
  readonly field: string;
  /** The message without the field path. */
  readonly problem: string;
  constructor(field: string, problem: string, options?: { cause?: unknown }) {
    super('CONFIG_INVALID', `${field}: ${problem}`, options);
    this.field = field;
    this.problem = problem;
  }
}

/** A request the router cannot accept: malformed, missing fields, wrong content type, too large. */
export class RequestError extends PaymountError {
  constructor(message: string, code: PaymountErrorCode = 'REQUEST_INVALID') {
    super(code, message);
  }
}

/** A signature that does not verify, or a signed message whose envelope is wrong (stale, probe). */
export class SignatureError extends PaymountError {
  constructor(message: string, code: PaymountErrorCode = 'SIGNATURE_INVALID') {
    super(code, message);
  }
}

/** The body the provider signed is no longer available (a host body parser consumed it). */
export class RawBodyError extends PaymountError {
  constructor(message: string) {
    super('RAW_BODY_MISSING', message);
  }
}

/**
 * A call to the provider failed: it answered with an error (`PROVIDER_REJECTED`, with the
 * provider's own code in `providerCode`), could not be reached (`PROVIDER_UNAVAILABLE`), or
 * answered something paymount will not trust (`RESPONSE_*`).
 */
export class ProviderError extends PaymountError {
  /** `alipay`, `wechatpay` or `unionpay`. */
  readonly provider: string;
  /** The provider's own code (`40004`, `ORDERPAID`, `12`, `HTTP_404`), when it gave one. */
  readonly providerCode: string | undefined;
  /** The provider's finer code when it has one (`ACQ.TRADE_NOT_EXIST`). */
  readonly subCode: string | undefined;
  /** The provider's response as received, for logs and support tickets. */
  readonly raw: unknown;
  /**
   * False when the request never reached the provider (connection refused, no such host, a TLS
   * failure): nothing was placed, so the same ids are free to use again.
   */
  readonly reached: boolean;

  constructor(init: {
    provider: string;
    code?: PaymountErrorCode;
    providerCode?: string;
    subCode?: string;
    message: string;
    retryable?: boolean;
    raw?: unknown;
    cause?: unknown;
    reached?: boolean;
  }) {
    super(init.code ?? 'PROVIDER_REJECTED', `${init.provider}: ${init.message}`, {
      cause: init.cause,
      retryable: init.retryable,
    });
    this.provider = init.provider;
    this.providerCode = init.providerCode;
    this.subCode = init.subCode;
    this.raw = init.raw;
    this.reached = init.reached ?? true;
  }
}

/**
 * The store could not answer in time (a network store down or slow). Routes answer 503 and call
 * no hook, so the provider retries; nothing is decided without the store.
 */
export class StoreError extends PaymountError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('STORE_UNAVAILABLE', message, options);
  }
}
