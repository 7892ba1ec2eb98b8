import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A transparent proxy in front of a shop that keeps a copy of every request it passes: the exact
 * bytes and headers a provider's notification arrived with, so that a test can send the very same
 * signed message again (a provider's retry, a replay).
 */

export interface TeedRequest {
  method: string;
  /** Path and query, e.g. `/pay/notify/alipay`. */
  path: string;
  headers: Record<string, string>;
  body: Buffer;
  /** The shop's answer. */
  status?: number;
  answer?: string;
}

export interface Tee {
  url: string;
  requests: TeedRequest[];
  close(): Promise<void>;
}

const read = (stream: IncomingMessage) =>
  new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });

export async function startTee(origin: string): Promise<Tee> {
  const target = new URL(origin);
  const requests: TeedRequest[] = [];
  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await read(req);
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) {
        if (typeof value === 'string') headers[name] = value;
      }
      const kept: TeedRequest = { method: req.method ?? 'GET', path: req.url ?? '/', headers, body };
      requests.push(kept);
      const answer = await new Promise<IncomingMessage>((resolve, reject) => {
        const out = request(
          { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
          resolve,
        );
        out.on('error', reject);
        out.end(body);
      });
      const payload = await read(answer);
      kept.status = answer.statusCode;
      kept.answer = payload.toString('utf8');
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      res.end(payload);
    })().catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`tee: ${String(error)}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Sends a kept request again, byte for byte, to `origin`; answers status and body. */
export async function replay(origin: string, kept: TeedRequest): Promise<{ status: number; body: string }> {
  const headers = { ...kept.headers };
  delete headers.host;
  delete headers['content-length'];
  delete headers.connection;
  const res = await fetch(`${origin}${kept.path}`, {
    method: kept.method,
    headers,
    body: kept.method === 'GET' ? undefined : new Uint8Array(kept.body),
  });
  return { status: res.status, body: await res.text() };
}
