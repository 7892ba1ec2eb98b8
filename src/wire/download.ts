import { ProviderError } from '../errors/index.js';
import type { GatewayFailure } from './gateway.js';
import type { HttpRequest, HttpStreamClient, HttpStreamResponse } from './http.js';

/**
 * The gateway pipeline (`gateway.ts`) for a download: encode → sign → send → status → body. A
 * daily statement can be tens of megabytes, so its body is handed on as a stream instead of being
 * parsed and verified whole; what vouches for it is the provider's own check of the file (a
 * digest announced in a signed answer, totals lines), done by the reader as the last byte goes by.
 * Failures keep the pipeline's table (docs/architecture.md#the-gateway-pipeline): unreachable or
 * 5xx/429 without a readable answer is `PROVIDER_UNAVAILABLE`, another status without one is
 * `PROVIDER_REJECTED` (`HTTP_<n>`), an error the provider wrote is `PROVIDER_REJECTED` with its code.
 */

/** The stages a provider supplies for one kind of download. */
export interface DownloadStages<C> {
  provider: string;
  /** A short name of the download for messages (`trade bill`, `bill_download_url`). */
  describe(call: C): string;
  /** Encodes (and signs, where the provider wants it) the request. */
  request(call: C): Promise<HttpRequest> | HttpRequest;
  /** Whether a response with this status carries the file. Default: 200 only. */
  ok?(status: number, headers: Record<string, string>): boolean;
  /**
   * The provider's error in the (short) body of a response that does not carry the file, or
   * `undefined` when the body is not one of the provider's answers (a proxy's page).
   */
  failure?(status: number, body: Buffer, headers: Record<string, string>): GatewayFailure | undefined;
}

/** The largest error body read to find the provider's error in it. */
const MAX_ERROR_BODY = 64 * 1024;

/** A started download: its response headers and its body, not read yet. */
export interface Download {
  headers: Record<string, string>;
  /** The file's bytes as they arrive; bounded by `maxBytes` (`RESPONSE_TOO_LARGE` beyond). */
  body: AsyncIterable<Buffer>;
  /** Closes the connection when the body will not be read. */
  cancel(): void;
}

/** Builds a download function from the provider's stages and a streaming HTTP client. */
export function download<C>(
  stages: DownloadStages<C>,
  stream: HttpStreamClient,
): (call: C, options: { maxBytes: number }) => Promise<Download> {
  const { provider } = stages;
  const ok = (status: number, headers: Record<string, string>) =>
    stages.ok ? stages.ok(status, headers) : status === 200;
  return async (call, { maxBytes }) => {
    const what = stages.describe(call);
    const res = await stream(await stages.request(call), { maxBytes });
    if (ok(res.status, res.headers)) return { headers: res.headers, body: res.body, cancel: () => res.cancel() };
    const body = await errorBody(res);
    const failure = stages.failure?.(res.status, body, res.headers);
    if (failure) {
      throw new ProviderError({
        provider,
        providerCode: failure.providerCode,
        subCode: failure.subCode,
        message: `${what} failed: ${failure.message}`,
        retryable: failure.retryable,
        raw: body.toString('utf8').slice(0, 500),
      });
    }
    const unavailable = res.status >= 500 || res.status === 429;
    throw new ProviderError({
      provider,
      code: unavailable ? 'PROVIDER_UNAVAILABLE' : 'PROVIDER_REJECTED',
      providerCode: `HTTP_${res.status}`,
      message:
        `${what}: the download answered HTTP ${res.status}` +
        (unavailable ? '; try again later' : ' (has the link expired?)'),
      retryable: unavailable,
      raw: body.toString('utf8').slice(0, 500),
    });
  };
}

/** The first bytes of a body that is not the file; the rest is not read. */
async function errorBody(res: HttpStreamResponse): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res.body) {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= MAX_ERROR_BODY) break;
    }
  } catch {
    // An error answer that cannot even be read is reported by its status alone.
  } finally {
    res.cancel();
  }
  return Buffer.concat(chunks).subarray(0, MAX_ERROR_BODY);
}
