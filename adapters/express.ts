import type { ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import type { CoreResponse, Payments } from '../src/index.js';
import { findBody, flatHeaders, mustClose } from './node-body.js';

const BODY_HINT =
  'mount paymount before express.json()/express.urlencoded(), or keep the raw body ' +
  '(express.raw({ type: () => true }) on its path, or a parser verify option that sets req.rawBody)';

/** An Express middleware (works in `app.use` and in a `Router`, on Express 4 and 5). */
export type ExpressPaymentsHandler = (req: Request, res: Response, next: NextFunction) => void;

/** A raw body some hosts keep on the request (a body-parser `verify` option, `rawBody` middleware). */
const rawBodyOf = (req: Request): unknown => (req as Request & { rawBody?: unknown }).rawBody;

function send(res: ServerResponse, out: CoreResponse): void {
  res.statusCode = out.status;
  for (const [name, value] of Object.entries(out.headers)) res.setHeader(name, value);
  res.end(out.body ?? '');
}

/**
 * Mounts paymount into Express 4 or 5: `app.use('/pay', expressPayments(payments))`. Mount it
 * before `express.json()`/`express.urlencoded()` so it reads the exact bytes itself; mounted
 * after them it still works for form-signed providers and names the fix for the others.
 */
export function expressPayments(payments: Payments<Request>): ExpressPaymentsHandler {
  return (req, res, next) => {
    const method = req.method;
    if (!payments.matches(method, req.path)) {
      next();
      return;
    }
    void (async () => {
      const found =
        method === 'POST'
          ? await findBody(req, rawBodyOf(req), req.body, payments.bodyLimit, payments.bodyTimeoutMs)
          : {};
      const queryAt = req.originalUrl.indexOf('?');
      const out = await payments.handle({
        method,
        path: req.path,
        query: new URLSearchParams(queryAt === -1 ? '' : req.originalUrl.slice(queryAt + 1)),
        headers: flatHeaders(req.headers),
        ...found,
        bodyHint: BODY_HINT,
        ip: req.ip,
        mountPath: req.baseUrl,
        native: req,
      });
      if (out) {
        if (mustClose(req)) out.headers.connection = 'close';
        send(res, out);
      } else next();
    })().catch(next);
  };
}
