import { PaymountError } from '../errors/index.js';
import type { CoreRequest, CoreResponse } from '../spi/types.js';
import type { CoreContext } from './context.js';
import { errorResponse } from './pages/index.js';

const NO_STORE = { 'cache-control': 'no-store' };

export function json(status: number, value: unknown): CoreResponse {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...NO_STORE },
    body: JSON.stringify(value),
  };
}

export function redirect(location: string): CoreResponse {
  return { status: 302, headers: { location, ...NO_STORE }, body: '' };
}

/** Status and a message safe to show a client: paymount's own messages, never an unknown error's. */
export function describe(error: unknown): { status: number; code: string; message: string } {
  if (error instanceof PaymountError) return { status: error.status, code: error.code, message: error.message };
  return { status: 500, code: 'INTERNAL', message: 'internal error (see the server log)' };
}

export function jsonError(error: unknown): CoreResponse {
  const { status, code, message } = describe(error);
  return json(status, { error: { code, message } });
}

/**
 * The error page of a browser route: a short message in the buyer's language and the request's
 * reference; the full message goes to the log under that reference (docs/pages.md).
 */
export function htmlError(core: CoreContext, req: CoreRequest, error: unknown): Promise<CoreResponse> {
  return errorResponse(core, req, error);
}
