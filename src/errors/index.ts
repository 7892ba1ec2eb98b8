/**
 * Every error paymount raises is a {@link PaymountError} with a stable `code`, so hosts can branch
 * on it without parsing messages. Messages name the most likely cause; they never contain secrets.
 */
export class PaymountError extends Error {
  /** Stable machine-readable code, e.g. `CONFIG_INVALID`. */
  readonly code: string;
  /** HTTP status the router answers with when this error ends a request. */
  readonly status: number;

  constructor(code: string, message: string, status = 500, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.status = status;
  }
}

/** A mistake in the options given to `createPayments` or a provider factory. */
export class ConfigError extends PaymountError {
  /** The option path at fault, e.g. `providers.alipay.alipayPublicKey`. */
  readonly field: string;
  constructor(field: string, message: string, options?: { cause?: unknown }) {
    super('CONFIG_INVALID', `${field}: ${message}`, 500, options);
    this.field = field;
  }
}

/** A request the router cannot accept: malformed, missing fields, wrong content type, too large. */
export class RequestError extends PaymountError {
  constructor(message: string, status = 400, code = 'REQUEST_INVALID') {
    super(code, message, status);
  }
}

/** A signature that does not verify, or a signed message whose envelope is wrong (stale, probe). */
export class SignatureError extends PaymountError {
  constructor(message: string, code = 'SIGNATURE_INVALID') {
    super(code, message, 401);
  }
}

/** The body the provider signed is no longer available (a host body parser consumed it). */
export class RawBodyError extends PaymountError {
  constructor(message: string) {
    super('RAW_BODY_MISSING', message, 400);
  }
}

/**
 * The provider answered with an error, or could not be reached. Unlike other paymount errors,
 * `code` is the provider's own code (`40004`, `ORDERPAID`, `12`) or, for transport failures,
 * `TIMEOUT` / `NETWORK`.
 */
export class ProviderError extends PaymountError {
  /** `alipay`, `wechatpay` or `unionpay`. */
  readonly provider: string;
  /** The provider's finer code when it has one (`ACQ.TRADE_NOT_EXIST`). */
  readonly subCode: string | undefined;
  /** True when the same call may succeed later (timeouts, system busy): retry with the same ids. */
  readonly retryable: boolean;
  /** The provider's response as received, for logs and support tickets. */
  readonly raw: unknown;

  constructor(init: {
    provider: string;
    code: string;
    subCode?: string;
    message: string;
    retryable?: boolean;
    raw?: unknown;
    cause?: unknown;
  }) {
    super(init.code, `${init.provider}: ${init.message}`, 502, { cause: init.cause });
    this.provider = init.provider;
    this.subCode = init.subCode;
    this.retryable = init.retryable ?? false;
    this.raw = init.raw;
  }
}

/**
 * The store could not answer in time (a network store down or slow). Routes answer 503 and call
 * no hook, so the provider retries; nothing is decided without the store.
 */
export class StoreError extends PaymountError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('STORE_UNAVAILABLE', message, 503, options);
  }
}
