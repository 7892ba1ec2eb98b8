import tls from 'node:tls';
import { Agent, request } from 'undici';
import { ProviderError } from '../errors/index.js';

export interface HttpRequest {
  url: string;
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export interface HttpResponse {
  status: number;
  /** Lower-cased names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: Buffer;
}

export interface HttpClientOptions {
  /** Names the provider in errors. */
  provider: string;
  /** Connect and response timeout in ms. Default 10 s. */
  timeoutMs?: number;
  /** A client certificate for mutual TLS (WeChat Pay v2 refunds). */
  clientCertificate?: { pfx: Buffer; passphrase: string };
  /** Extra CA certificates (PEM) to trust for the gateway: test environments and the sandbox. */
  ca?: string | Buffer;
  /** Largest buffered response accepted, in bytes. Default 1 MiB; streamed downloads set their own bound. */
  maxResponseBytes?: number;
}

/** Failures that happen before a request is sent: connecting, resolving the host, TLS. */
const NOT_SENT =
  /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|UND_ERR_CONNECT_TIMEOUT|CERT_|ERR_TLS_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_)/;

export type HttpClient = (req: HttpRequest) => Promise<HttpResponse>;

/** A response whose body is read as it arrives: a download. */
export interface HttpStreamResponse {
  status: number;
  /** Lower-cased names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /**
   * The body, chunk by chunk, read from the socket as it is consumed. More than `maxBytes` ends the
   * iteration with `RESPONSE_TOO_LARGE`; a connection lost midway with a retryable
   * `PROVIDER_UNAVAILABLE`. Stopping early (`break`, `return()`) closes the connection.
   */
  body: AsyncIterable<Buffer>;
  /** Closes the connection without reading the body (or the rest of it). */
  cancel(): void;
}

/** Sends a request and resolves once the status and headers are in, before the body. */
export type HttpStreamClient = (req: HttpRequest, options: { maxBytes: number }) => Promise<HttpStreamResponse>;

/** An {@link HttpClient} that can also stream a response: what {@link httpClient} returns. */
export interface HttpTransport extends HttpClient {
  /**
   * For downloads (daily statements): the body is not buffered, so the buffered client's
   * `maxResponseBytes` does not apply; `maxBytes` bounds it instead.
   */
  stream: HttpStreamClient;
}

/**
 * Outgoing HTTP for one provider: one keep-alive pool per origin (undici's Agent), bounded time
 * and size. Transport failures become retryable {@link ProviderError}s (`TIMEOUT`, `NETWORK`).
 */
export function httpClient(options: HttpClientOptions): HttpTransport {
  const timeout = options.timeoutMs ?? 10_000;
  const maxBytes = options.maxResponseBytes ?? 1024 * 1024;
  // One TLS context for every connection: given `ca` or a certificate per connection, Node would
  // build one each time, parsing the whole root list (tens of ms of CPU per new connection).
  const secureContext =
    options.clientCertificate || options.ca
      ? tls.createSecureContext({
          ...(options.clientCertificate ?? {}),
          // `ca` replaces the default trust store in Node, so the extra CA is added to the root list.
          ...(options.ca ? { ca: [...tls.rootCertificates, options.ca.toString()] } : {}),
        })
      : undefined;
  const agent = new Agent({
    keepAliveTimeout: 30_000,
    headersTimeout: timeout,
    bodyTimeout: timeout,
    connect: { timeout, ...(secureContext ? { secureContext } : {}) },
  });

  const send = (req: HttpRequest) =>
    request(req.url, { method: req.method, headers: req.headers, body: req.body, dispatcher: agent });
  const tooLarge = (req: HttpRequest, limit: number) =>
    new ProviderError({
      provider: options.provider,
      code: 'RESPONSE_TOO_LARGE',
      message: `response from ${new URL(req.url).host} exceeds ${limit} bytes`,
    });

  const buffered = async (req: HttpRequest): Promise<HttpResponse> => {
    try {
      const res = await send(req);
      const chunks: Buffer[] = [];
      let size = 0;
      // undici yields the body as Buffers (its stream is not in object mode).
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > maxBytes) {
          res.body.destroy();
          throw tooLarge(req, maxBytes);
        }
        chunks.push(chunk);
      }
      return { status: res.statusCode, headers: headersOf(res.headers), body: Buffer.concat(chunks) };
    } catch (error) {
      throw transportError(options.provider, req, error);
    }
  };

  const stream: HttpStreamClient = async (req, { maxBytes: limit }) => {
    let res: Awaited<ReturnType<typeof send>>;
    try {
      res = await send(req);
    } catch (error) {
      throw transportError(options.provider, req, error);
    }
    async function* body(): AsyncGenerator<Buffer> {
      let size = 0;
      try {
        for await (const chunk of res.body as AsyncIterable<Buffer>) {
          size += chunk.byteLength;
          if (size > limit) throw tooLarge(req, limit);
          yield chunk;
        }
      } catch (error) {
        throw transportError(options.provider, req, error, 'the download was cut off');
      } finally {
        // Ends the connection when the reader stopped early or failed; a no-op once fully read.
        if (!res.body.destroyed) res.body.destroy();
      }
    }
    return {
      status: res.statusCode,
      headers: headersOf(res.headers),
      body: body(),
      cancel: () => {
        if (!res.body.destroyed) res.body.destroy();
      },
    };
  };

  return Object.assign(buffered, { stream });
}

function headersOf(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

/** A transport failure as a retryable `PROVIDER_UNAVAILABLE`; paymount's own errors pass through. */
function transportError(provider: string, req: HttpRequest, error: unknown, what?: string): unknown {
  if (error instanceof ProviderError) return error;
  const code = (error as { code?: string }).code ?? '';
  const timedOut = code.includes('TIMEOUT');
  const reached = what !== undefined || !NOT_SENT.test(code);
  const host = new URL(req.url).host;
  const problem = what ?? `${timedOut ? 'timed out' : 'could not reach'} ${host}`;
  return new ProviderError({
    provider,
    code: 'PROVIDER_UNAVAILABLE',
    reached,
    message:
      `${problem} (${code || (error as Error).message}); ` +
      (what ? 'download it again' : 'the outcome is unknown, retry with the same ids'),
    retryable: true,
    cause: error,
  });
}
