import type { IncomingMessage } from 'node:http';
import getRawBody from 'raw-body';

/** Result of looking for the request's bytes: exactly one of the three is set. */
export interface FoundBody {
  rawBody?: Buffer;
  parsedBody?: unknown;
  bodyError?: { status: number; message: string };
}

/**
 * Finds the exact body bytes in the order docs/architecture.md#the-raw-body gives: a raw body the host kept, a
 * Buffer or string body (`express.raw`/`express.text`), the unread stream (read here, up to `limit`), and
 * only then what a body parser left.
 */
export async function findBody(
  stream: IncomingMessage,
  kept: unknown,
  body: unknown,
  limit: number,
  timeoutMs: number,
): Promise<FoundBody> {
  if (Buffer.isBuffer(kept)) return { rawBody: kept };
  if (typeof kept === 'string') return { rawBody: Buffer.from(kept, 'utf8') };
  if (Buffer.isBuffer(body)) return { rawBody: body };
  if (typeof body === 'string') return { rawBody: Buffer.from(body, 'utf8') };
  // body-parser marks what it consumed with `_body`; an ended stream has nothing left to read.
  const consumed = (stream as { _body?: boolean })._body === true || stream.readableEnded || stream.destroyed;
  if (!consumed) {
    try {
      return { rawBody: await withTimeout(getRawBody(stream, { limit }), timeoutMs) };
    } catch (error) {
      if (error === TIMED_OUT) {
        return { bodyError: { status: 408, message: `the request body did not arrive within ${timeoutMs} ms` } };
      }
      const e = error as { type?: string; status?: number; message?: string };
      if (e.type === 'entity.too.large') {
        return { bodyError: { status: 413, message: `the request body exceeds the ${limit}-byte limit (bodyLimit)` } };
      }
      return {
        bodyError: {
          status: e.status && e.status < 500 ? e.status : 400,
          message: `the request body could not be read: ${e.message ?? 'aborted'}`,
        },
      };
    }
  }
  // Consumed and nothing left behind: say so, rather than hand the routes an empty object that
  // reads as "no provider" on /checkout.
  if (body === undefined) return { bodyError: { status: 400, message: CONSUMED } };
  return { parsedBody: body };
}

const CONSUMED =
  'the request body was consumed before paymount and nothing was left: mount paymount before express.json()/express.urlencoded() ' +
  '(or koa bodyparser), or keep the raw body (express: a parser verify option that sets req.rawBody; koa bodyparser sets ctx.request.rawBody)';

const TIMED_OUT = new Error('body timeout');

/** A slow body (a client trickling bytes) must not hold a route open: give up after `ms`. */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(TIMED_OUT), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/**
 * Whether the connection must close after this response: the request's body was not read to its
 * end (too large, too slow), so the next request on a kept-alive connection would read its rest.
 */
export function mustClose(stream: IncomingMessage): boolean {
  return !stream.complete;
}

/** Node's header object, lower-cased and flattened. */
export function flatHeaders(headers: IncomingMessage['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}
