import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Readable } from 'node:stream';

/** A Web-standard handler, as `fetchPayments` returns and Hono, Bun or Deno call. */
export type FetchHandler = (request: Request) => Promise<Response>;

/**
 * The peer address of each bridged request: a Web `Request` has no socket, so the bridge keeps it
 * here for `fetchPayments({ clientIp })` (WeChat H5 needs the payer's IP).
 */
export const peerAddress = new WeakMap<Request, string>();

function toRequest(req: IncomingMessage): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    for (const one of Array.isArray(value) ? value : value === undefined ? [] : [value]) headers.append(name, one);
  }
  const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
  // `duplex: 'half'` is what undici requires for a streamed request body.
  const init = {
    method: req.method,
    headers,
    body: hasBody ? (Readable.toWeb(req) as ReadableStream<Uint8Array>) : undefined,
    duplex: 'half',
  };
  const request = new Request(url, init);
  if (req.socket.remoteAddress) peerAddress.set(request, req.socket.remoteAddress);
  return request;
}

async function send(res: ServerResponse, response: Response, head: boolean): Promise<void> {
  res.statusCode = response.status;
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') res.setHeader(name, value);
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) res.setHeader('set-cookie', cookies);
  if (response.body && !head) {
    const reader = response.body.getReader();
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) res.write(chunk.value);
  }
  res.end();
}

/** Serves a Web-standard handler on node:http: IncomingMessage → Request, Response → ServerResponse. */
export function serveFetch(handler: FetchHandler): Server {
  return createServer((req, res) => {
    void (async () => {
      try {
        await send(res, await handler(toRequest(req)), req.method === 'HEAD');
      } catch (error) {
        if (!res.headersSent) res.statusCode = 500;
        res.end(`bridge error: ${(error as Error).message}`);
      }
    })();
  });
}
