import type { Payments } from '../src/index.js';
import { resolvePrefix, type PrefixOptions } from './prefix.js';

/** Options of {@link fetchPayments}. */
export interface FetchPaymentsOptions extends PrefixOptions {
  /** The payer's IP (WeChat H5 needs it). Web `Request` has none; read it from your platform. */
  clientIp?: (request: Request) => string | undefined;
  /** Answers requests that are not paymount's. Default: 404. */
  fallback?: (request: Request) => Response | Promise<Response>;
}

async function readLimited(
  request: Request,
  limit: number,
  timeoutMs: number,
): Promise<{ rawBody?: Buffer; bodyError?: { status: number; message: string } }> {
  const tooLarge = {
    bodyError: { status: 413, message: `the request body exceeds the ${limit}-byte limit (bodyLimit)` },
  };
  if (Number(request.headers.get('content-length') ?? 0) > limit) return tooLarge;
  if (!request.body) return { rawBody: Buffer.alloc(0) };
  // A host that read the body (request.json(), a logging middleware) leaves a locked stream.
  if (request.bodyUsed) {
    return {
      bodyError: {
        status: 400,
        message:
          'the request body was already read before paymount: pass paymount the untouched request, or read a request.clone()',
      },
    };
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  // A slow body (a client trickling bytes) must not hold the route open.
  let timedOut = false as boolean; // set by the timer, which the control flow does not see
  const timer = setTimeout(() => {
    timedOut = true;
    void reader.cancel();
  }, timeoutMs);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        await reader.cancel();
        return tooLarge;
      }
      chunks.push(value);
    }
  } catch (error) {
    return { bodyError: { status: 400, message: `the request body could not be read: ${(error as Error).message}` } };
  } finally {
    clearTimeout(timer);
  }
  if (timedOut)
    return { bodyError: { status: 408, message: `the request body did not arrive within ${timeoutMs} ms` } };
  return { rawBody: Buffer.concat(chunks) };
}

/**
 * paymount for Web-standard runtimes (Hono, Next.js route handlers, Bun, Deno):
 * `fetchPayments(payments, { prefix: '/pay' })` returns `(request) => Promise<Response>`.
 */
export function fetchPayments(
  payments: Payments,
  options: FetchPaymentsOptions = {},
): (request: Request) => Promise<Response> {
  const prefix = resolvePrefix('fetchPayments', payments, options);
  const fallback = options.fallback ?? (() => new Response('Not Found', { status: 404 }));

  return async (request) => {
    const url = new URL(request.url);
    const inside = !prefix || url.pathname === prefix || url.pathname.startsWith(`${prefix}/`);
    const path = inside ? url.pathname.slice(prefix.length) || '/' : '';
    if (!inside || !payments.matches(request.method, path)) return fallback(request);
    const headers: Record<string, string> = {};
    request.headers.forEach((value, name) => (headers[name] = value));
    const out = await payments.handle({
      method: request.method,
      path,
      query: url.searchParams,
      headers,
      ...(request.method === 'POST' ? await readLimited(request, payments.bodyLimit, payments.bodyTimeoutMs) : {}),
      bodyHint: 'pass paymount the untouched Request (or a request.clone() when you read the body first)',
      ip: options.clientIp?.(request),
      mountPath: prefix,
      native: request,
    });
    if (!out) return fallback(request);
    const empty = out.status === 204 || out.status === 304;
    const body = empty
      ? null
      : typeof out.body === 'string' || out.body === undefined
        ? (out.body ?? '')
        : new Uint8Array(out.body);
    return new Response(body, { status: out.status, headers: out.headers });
  };
}
