import { randomUUID } from 'node:crypto';
import { handleCheckoutCallback, handleCheckoutLink } from './browser.js';
import { checkout } from './checkout.js';
import type { CoreContext } from './context.js';
import { RequestError } from '../errors/index.js';
import { parseForm } from '../wire/form.js';
import { RequestLogger } from './logger.js';
import { handleNotify } from './notify.js';
import { htmlError, json, jsonError } from './respond.js';
import { handleResult, handleReturn } from './return.js';
import type { Channel, CoreRequest, CoreResponse } from '../spi/types.js';

type Route =
  | { name: 'checkout' }
  | { name: 'checkoutLink'; provider: string }
  | { name: 'checkoutCallback'; provider: string }
  | { name: 'return'; provider: string }
  | { name: 'notify'; provider: string; kind: 'payment' | 'refund' }
  | { name: 'result' };

const SEGMENT = /^[a-z][a-z0-9_-]{0,31}$/;

/** The route table. Anything it does not name falls through to the host (HEAD, OPTIONS, others). */
export function matchRoute(method: string, path: string): Route | undefined {
  const parts = path.split('/').filter(Boolean);
  const [first, provider, extra, ...rest] = parts;
  if (rest.length > 0 || (provider !== undefined && !SEGMENT.test(provider))) return undefined;
  switch (`${method} ${first}`) {
    case 'POST checkout':
      return provider === undefined ? { name: 'checkout' } : undefined;
    case 'GET checkout':
      if (provider === undefined) return undefined;
      if (extra === undefined) return { name: 'checkoutLink', provider };
      return extra === 'callback' ? { name: 'checkoutCallback', provider } : undefined;
    case 'GET return':
    case 'POST return':
      return provider !== undefined && extra === undefined ? { name: 'return', provider } : undefined;
    case 'POST notify':
      if (provider === undefined) return undefined;
      if (extra === undefined) return { name: 'notify', provider, kind: 'payment' };
      return extra === 'refund' ? { name: 'notify', provider, kind: 'refund' } : undefined;
    case 'GET result':
      return provider === undefined ? { name: 'result' } : undefined;
    default:
      return undefined;
  }
}

/** Reads `POST /checkout` input from JSON or a form, raw or already parsed by the host. */
function checkoutFields(req: CoreRequest): Record<string, unknown> {
  if (req.bodyError) {
    const { status, message } = req.bodyError;
    throw new RequestError(
      message,
      status === 413 ? 'BODY_TOO_LARGE' : status === 408 ? 'BODY_TIMEOUT' : 'BODY_UNREADABLE',
    );
  }
  if (req.rawBody === undefined) {
    const parsed = req.parsedBody;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
    throw new RequestError('send { "orderId", "provider", "channel" } as JSON or a form');
  }
  const text = req.rawBody.toString('utf8');
  const type = req.headers['content-type'] ?? '';
  if (type.includes('application/json')) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new RequestError('the body is not valid JSON');
    }
    if (!value || typeof value !== 'object' || Array.isArray(value))
      throw new RequestError('the JSON body must be an object');
    return value as Record<string, unknown>;
  }
  if (type.includes('application/x-www-form-urlencoded')) return parseForm(text);
  throw new RequestError(`unsupported content type "${type}": send application/json or a form`, 'CONTENT_TYPE');
}

function stringField(fields: Record<string, unknown>, name: string): string | undefined {
  const value = fields[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new RequestError(`${name} must be a string`);
  return value;
}

async function route(core: CoreContext, r: Route, req: CoreRequest): Promise<CoreResponse> {
  switch (r.name) {
    case 'checkout':
      try {
        const fields = checkoutFields(req);
        const provider = stringField(fields, 'provider');
        if (!provider)
          throw new RequestError(`provider is missing: send one of ${[...core.providers.keys()].join(', ')}`);
        const result = await checkout(core, {
          provider,
          orderId: stringField(fields, 'orderId') ?? '',
          // Checked by checkout, which names the channels it takes.
          channel: (stringField(fields, 'channel') as Channel | undefined) ?? 'wap',
          openid: stringField(fields, 'openid'),
          clientIp: req.ip,
          request: req.native,
          authorized: false,
        });
        return json(200, result);
      } catch (error) {
        return jsonError(error);
      }
    case 'checkoutLink':
      return handleCheckoutLink(core, r.provider, req);
    case 'checkoutCallback':
      return handleCheckoutCallback(core, r.provider, req);
    case 'return':
      return handleReturn(core, r.provider, req);
    case 'notify':
      return handleNotify(core, r.provider, r.kind, req);
    case 'result':
      return handleResult(core, req);
  }
}

/** Answers one request, or `null` when the route table does not name it. Never throws. */
export async function handleRequest(core: CoreContext, req: CoreRequest): Promise<CoreResponse | null> {
  const r = matchRoute(req.method, req.path);
  if (!r) return null;
  const scoped = forRequest(core, req);
  try {
    return withId(await route(scoped, r, req), scoped);
  } catch (error) {
    // An error page logs its error itself, under the reference it shows (once).
    if (r.name !== 'checkout') return withId(await htmlError(scoped, req, error), scoped);
    scoped.logger.error(`unexpected error on ${req.method} ${req.path}`, {
      error: error instanceof Error ? error.stack : String(error),
    });
    return withId(jsonError(error), scoped);
  }
}

function withId(res: CoreResponse, core: { requestId: string }): CoreResponse {
  res.headers['x-request-id'] ??= core.requestId;
  return res;
}

const REQUEST_ID = /^[\w.:-]{1,64}$/;

/**
 * The core as one request sees it: every log line of the request carries its id (the caller's
 * `X-Request-Id` when it is sane, else a new one), which hooks also get as `ctx.requestId`.
 */
function forRequest(core: CoreContext, req: CoreRequest): CoreContext & { requestId: string } {
  const given = req.headers['x-request-id'];
  const requestId = given && REQUEST_ID.test(given) ? given : randomUUID().replace(/-/g, '').slice(0, 16);
  // Field by field rather than a spread: a spread of the context costs ~2 µs per request.
  return {
    config: core.config,
    hooks: core.hooks,
    providers: core.providers,
    store: core.store,
    clock: core.clock,
    queries: core.queries,
    requestId,
    logger: new RequestLogger(core.logger, requestId),
  };
}
