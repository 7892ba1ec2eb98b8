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
  /** Largest response accepted, in bytes. Default 1 MiB. */
  maxResponseBytes?: number;
}

/** Failures that happen before a request is sent: connecting, resolving the host, TLS. */
const NOT_SENT =
  /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|UND_ERR_CONNECT_TIMEOUT|CERT_|ERR_TLS_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_)/;

export type HttpClient = (req: HttpRequest) => Promise<HttpResponse>;

/**
 * Outgoing HTTP for one provider: one keep-alive pool per origin (undici's Agent), bounded time
 * and size. Transport failures become retryable {@link ProviderError}s (`TIMEOUT`, `NETWORK`).
 */
export function httpClient(options: HttpClientOptions): HttpClient {
  const timeout = options.timeoutMs ?? 10_000;
  const maxBytes = options.maxResponseBytes ?? 1024 * 1024;
  const agent = new Agent({
    keepAliveTimeout: 30_000,
    headersTimeout: timeout,
    bodyTimeout: timeout,
    connect: {
      timeout,
      ...(options.clientCertificate ?? {}),
      // `ca` replaces the default trust store in Node, so the extra CA is added to the root list.
      ...(options.ca ? { ca: [...tls.rootCertificates, options.ca.toString()] } : {}),
    },
  });

  return async (req) => {
    try {
      const res = await request(req.url, {
        method: req.method,
        headers: req.headers,
        body: req.body,
        dispatcher: agent,
      });
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body) {
        size += chunk.length;
        if (size > maxBytes) {
          res.body.destroy();
          throw new ProviderError({
            provider: options.provider,
            code: 'RESPONSE_TOO_LARGE',
            message: `response from ${new URL(req.url).host} exceeds ${maxBytes} bytes`,
          });
        }
        chunks.push(chunk as Buffer);
      }
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(res.headers)) {
        if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
      }
      return { status: res.statusCode, headers, body: Buffer.concat(chunks) };
    } catch (error) {
      if (error instanceof ProviderError) throw error;
      const code = (error as { code?: string }).code ?? '';
      const timedOut = /TIMEOUT/.test(code);
      const reached = !NOT_SENT.test(code);
      throw new ProviderError({
        provider: options.provider,
        code: 'PROVIDER_UNAVAILABLE',
        reached,
        message: `${timedOut ? 'timed out' : 'could not reach'} ${new URL(req.url).host} (${code || (error as Error).message}); the outcome is unknown, retry with the same ids`,
        retryable: true,
        cause: error,
      });
    }
  };
}
