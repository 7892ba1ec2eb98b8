import type { IncomingMessage } from 'node:http';
import type { Payments } from '../src/index.js';
import { findBody, flatHeaders } from './node-body.js';

const BODY_HINT =
  'mount paymount before the body parser, or use @koa/bodyparser or koa-bodyparser, which keep ctx.request.rawBody';

/** The members of a Koa context this adapter touches (Koa 2 and 3 both have them). */
interface KoaContext {
  method: string;
  path: string;
  querystring: string;
  ip: string;
  req: IncomingMessage;
  request: { body?: unknown; rawBody?: unknown };
  status: number;
  body: unknown;
  set(name: string, value: string): void;
}

export interface KoaPaymentsOptions {
  /** Where the router is mounted, e.g. `/pay`. Default: the root. */
  prefix?: string;
}

/** A Koa middleware. */
export type KoaPaymentsMiddleware = (ctx: KoaContext, next: () => Promise<unknown>) => Promise<void>;

/**
 * Mounts paymount into Koa 2 or 3: `app.use(koaPayments(payments, { prefix: '/pay' }))`. Works
 * before or after a body parser: `@koa/bodyparser` and `koa-bodyparser` keep `ctx.request.rawBody`.
 */
export function koaPayments(payments: Payments, options: KoaPaymentsOptions = {}): KoaPaymentsMiddleware {
  const prefix = (options.prefix ?? '').replace(/\/+$/, '');
  if (prefix && !prefix.startsWith('/'))
    throw new TypeError(`koaPayments: prefix must start with "/", got "${prefix}"`);

  return async (ctx, next) => {
    const inside = !prefix || ctx.path === prefix || ctx.path.startsWith(`${prefix}/`);
    const path = inside ? ctx.path.slice(prefix.length) || '/' : '';
    if (!inside || !payments.matches(ctx.method, path)) return void (await next());
    const found =
      ctx.method === 'POST' ? await findBody(ctx.req, ctx.request.rawBody, ctx.request.body, payments.bodyLimit) : {};
    const out = await payments.handle({
      method: ctx.method,
      path,
      query: new URLSearchParams(ctx.querystring),
      headers: flatHeaders(ctx.req.headers),
      ...found,
      bodyHint: BODY_HINT,
      ip: ctx.ip,
      native: ctx,
    });
    if (!out) return void (await next());
    ctx.status = out.status;
    for (const [name, value] of Object.entries(out.headers)) ctx.set(name, value);
    // An empty string, not null: Koa turns a null body into a 204 whatever the status.
    ctx.body = out.body ?? '';
  };
}
