import type { Context, Middleware, Next } from 'koa';
import type { Payments } from '../src/index.js';
import { findBody, flatHeaders, mustClose } from './node-body.js';
import { resolvePrefix, type PrefixOptions } from './prefix.js';

const BODY_HINT =
  'mount paymount before the body parser, or use @koa/bodyparser or koa-bodyparser, which keep ctx.request.rawBody';

/** What body parsers (`@koa/bodyparser`, `koa-bodyparser`) add to `ctx.request`. */
interface ParsedRequest {
  body?: unknown;
  rawBody?: unknown;
}

/** Options of {@link koaPayments}. */
export type KoaPaymentsOptions = PrefixOptions;

/** A Koa middleware (Koa 2 and 3). */
export type KoaPaymentsMiddleware = Middleware;

/**
 * Mounts paymount into Koa 2 or 3: `app.use(koaPayments(payments, { prefix: '/pay' }))`. Works
 * before or after a body parser: `@koa/bodyparser` and `koa-bodyparser` keep `ctx.request.rawBody`.
 */
export function koaPayments(payments: Payments<Context>, options: KoaPaymentsOptions = {}): KoaPaymentsMiddleware {
  const prefix = resolvePrefix('koaPayments', payments, options);

  return async (ctx: Context, next: Next) => {
    const request = ctx.request as Context['request'] & ParsedRequest;
    const inside = !prefix || ctx.path === prefix || ctx.path.startsWith(`${prefix}/`);
    const path = inside ? ctx.path.slice(prefix.length) || '/' : '';
    if (!inside || !payments.matches(ctx.method, path)) {
      await next();
      return;
    }
    const found =
      ctx.method === 'POST'
        ? await findBody(ctx.req, request.rawBody, request.body, payments.bodyLimit, payments.bodyTimeoutMs)
        : {};
    const out = await payments.handle({
      method: ctx.method,
      path,
      query: new URLSearchParams(ctx.querystring),
      headers: flatHeaders(ctx.req.headers),
      ...found,
      bodyHint: BODY_HINT,
      ip: ctx.ip,
      mountPath: prefix,
      native: ctx,
    });
    if (!out) {
      await next();
      return;
    }
    if (mustClose(ctx.req)) out.headers.connection = 'close';
    ctx.status = out.status;
    for (const [name, value] of Object.entries(out.headers)) ctx.set(name, value);
    // An empty string, not null: Koa turns a null body into a 204 whatever the status.
    ctx.body = out.body ?? '';
  };
}
