import { PaymountError, type PaymountErrorCode } from '../../errors/index.js';
import type { CoreRequest, CoreResponse } from '../../spi/types.js';
import type { CoreContext } from '../context.js';
import { startPage } from './base.js';
import { servePage } from './serve.js';
import type { ErrorPage, PageErrorKind } from './types.js';

const KINDS: Partial<Record<PaymountErrorCode, PageErrorKind>> = {
  ORDER_NOT_FOUND: 'not_found',
  PROVIDER_UNKNOWN: 'not_found',
  ORDER_EXPIRED: 'expired',
  ORDER_CLOSED: 'expired',
  ORDER_ID_EXHAUSTED: 'expired',
  ORDER_PAID: 'paid',
  OAUTH_STATE_INVALID: 'link',
  OAUTH_CODE_INVALID: 'link',
  CHECKOUT_BUSY: 'busy',
  CHECKOUT_TOO_SOON: 'busy',
  PROVIDER_UNAVAILABLE: 'provider',
  PROVIDER_REJECTED: 'provider',
  RESPONSE_MALFORMED: 'provider',
  RESPONSE_TOO_LARGE: 'provider',
  RESPONSE_SIGNATURE_INVALID: 'provider',
  RESPONSE_MISMATCH: 'provider',
};

/** What a buyer is told about `error`: one of a few kinds, never its message. */
export function errorKind(error: unknown): PageErrorKind {
  return (error instanceof PaymountError ? KINDS[error.code] : undefined) ?? 'other';
}

/**
 * The error page of a browser route. The buyer gets a short message by kind and the request's
 * reference; the log gets the whole message under that reference, once: 5xx as errors (with the
 * stack of an unexpected error), refused requests as warnings.
 */
export async function errorResponse(core: CoreContext, req: CoreRequest, error: unknown): Promise<CoreResponse> {
  const known = error instanceof PaymountError;
  const status = known ? error.status : 500;
  const code = known ? error.code : 'INTERNAL';
  const detail = {
    code,
    status,
    route: `${req.method} ${req.path}`,
    ...(known ? {} : { error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
  };
  const message = error instanceof Error ? error.message : String(error);
  if (status >= 500) core.logger.error(`answered ${status} ${code}: ${message}`, detail);
  else core.logger.warn(`answered ${status} ${code}: ${message}`, detail);

  const kind = errorKind(error);
  const { messages, base, labels } = startPage(core, req);
  const said = messages.errors[kind];
  // The same request again, where waiting may help and repeating it changes nothing (a GET).
  const again = req.method === 'GET' && (status >= 500 || (known && error.retryable));
  const query = req.query.toString();
  const orderId = req.query.get('orderId');
  const page: ErrorPage = {
    ...base,
    ...(orderId && orderId.length <= 128 ? { orderId } : {}),
    kind: 'error',
    error: kind,
    status,
    texts: { ...labels, title: said.heading, ...said, ...(again ? { retry: messages.again } : {}) },
    links: again
      ? { ...base.links, retry: `${core.config.publicPath}${req.path}${query ? `?${query}` : ''}` }
      : base.links,
  };
  return servePage(core, page);
}
