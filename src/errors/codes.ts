/**
 * The one table of paymount's error codes. Every error paymount raises carries one of these codes;
 * the HTTP status a route answers with, and whether retrying the same call may succeed, come from
 * here. `docs/troubleshooting.md` explains each code: cause and fix.
 */
export const ERROR_CODES = {
  // The host's configuration.
  CONFIG_INVALID: { status: 500, retryable: false, summary: 'an option of createPayments or a provider is wrong' },
  HOOK_INVALID: { status: 500, retryable: false, summary: 'a hook returned something paymount cannot use' },
  // Requests the router refuses.
  REQUEST_INVALID: { status: 400, retryable: false, summary: 'a malformed request or a missing field' },
  CONTENT_TYPE: { status: 415, retryable: false, summary: 'a body of the wrong content type' },
  BODY_TOO_LARGE: { status: 413, retryable: false, summary: 'a body over bodyLimit' },
  BODY_TIMEOUT: { status: 408, retryable: false, summary: 'the body did not arrive within bodyTimeoutMs' },
  BODY_UNREADABLE: { status: 400, retryable: false, summary: 'the body could not be read, or was read before' },
  RAW_BODY_MISSING: { status: 400, retryable: false, summary: 'a body parser consumed the signed bytes' },
  NOTIFY_VERSION: { status: 400, retryable: false, summary: 'a notification in an API version not configured' },
  PROVIDER_UNKNOWN: { status: 404, retryable: false, summary: 'no provider of that name is configured' },
  CHANNEL_UNSUPPORTED: { status: 400, retryable: false, summary: 'the provider does not check out on that channel' },
  OAUTH_STATE_INVALID: {
    status: 400,
    retryable: false,
    summary: "a sign-in came back with a state that is not paymount's, or expired",
  },
  OAUTH_CODE_INVALID: {
    status: 400,
    retryable: false,
    summary: 'the sign-in code is unknown, expired or was used already',
  },
  // Orders.
  ORDER_NOT_FOUND: { status: 404, retryable: false, summary: 'getOrder does not know the order' },
  ORDER_ID_INVALID: { status: 400, retryable: false, summary: 'the order id cannot be a trade number' },
  ORDER_PAID: { status: 409, retryable: false, summary: 'the order is already paid' },
  ORDER_CLOSED: { status: 409, retryable: false, summary: 'the order is closed' },
  ORDER_EXPIRED: { status: 409, retryable: false, summary: 'the order expired' },
  ORDER_NOT_PAID: { status: 409, retryable: false, summary: 'the order is not paid, so it cannot be refunded' },
  ORDER_AMBIGUOUS: { status: 409, retryable: false, summary: 'a trade number could belong to two orders' },
  ORDER_ID_EXHAUSTED: { status: 409, retryable: false, summary: 'the order has no trade number left' },
  CHECKOUT_BUSY: { status: 409, retryable: true, summary: 'another checkout of the order is in progress' },
  CHECKOUT_TOO_SOON: { status: 429, retryable: true, summary: 'the order got a new payment a moment ago' },
  REFUND_ID_CONFLICT: { status: 409, retryable: false, summary: 'a refund id reused with another amount or order' },
  // Signed messages.
  SIGNATURE_MISSING: { status: 401, retryable: false, summary: 'a message that must be signed is not' },
  SIGNATURE_INVALID: { status: 401, retryable: false, summary: 'a signature that does not verify' },
  SIGNATURE_STALE: { status: 401, retryable: false, summary: 'a signed message outside its time window' },
  SIGNATURE_PROBE: { status: 401, retryable: false, summary: "a provider's signature-check probe" },
  SIGNATURE_UNKNOWN_KEY: { status: 401, retryable: false, summary: 'signed with a key paymount does not know' },
  DECRYPT_FAILED: { status: 401, retryable: false, summary: 'an encrypted part does not decrypt with the key' },
  MERCHANT_MISMATCH: { status: 409, retryable: false, summary: 'a verified message for another merchant or app' },
  // The provider's gateway.
  PROVIDER_REJECTED: { status: 502, retryable: false, summary: 'the provider answered the call with an error' },
  PROVIDER_UNAVAILABLE: { status: 503, retryable: true, summary: 'the provider could not be reached in time' },
  RESPONSE_MALFORMED: { status: 502, retryable: false, summary: "the provider's answer could not be read" },
  RESPONSE_TOO_LARGE: { status: 502, retryable: false, summary: "the provider's answer exceeds the size limit" },
  RESPONSE_SIGNATURE_INVALID: { status: 502, retryable: false, summary: "the provider's answer is not signed by it" },
  RESPONSE_MISMATCH: { status: 502, retryable: false, summary: "the provider's answer names another merchant" },
  RECORD_MISSING: { status: 409, retryable: false, summary: 'what the provider needs for this call is unknown' },
  STATEMENT_INVALID: { status: 502, retryable: false, summary: 'a statement file that cannot be read' },
  STATEMENT_NOT_READY: { status: 503, retryable: true, summary: "the day's statement is not ready yet" },
  STATEMENT_EMPTY: { status: 404, retryable: false, summary: 'no trades that day' },
  // paymount's own state.
  STORE_UNAVAILABLE: { status: 503, retryable: true, summary: 'the store could not answer in time' },
  INTERNAL: { status: 500, retryable: false, summary: 'a bug: see the server log' },
} as const satisfies Record<string, { status: number; retryable: boolean; summary: string }>;

/** A code from {@link ERROR_CODES}. */
export type PaymountErrorCode = keyof typeof ERROR_CODES;
