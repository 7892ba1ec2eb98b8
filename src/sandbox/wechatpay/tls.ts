import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { TLSSocket } from 'node:tls';
import { readBody } from '../server.js';
import type { SandboxResponse } from '../types.js';
import type { WxRequest } from './state.js';

/** The HTTPS listener: certificate and CA, and the dispatcher shared with the plain-HTTP routes. */
export interface TlsListenerOptions {
  key: string;
  cert: string;
  ca: string;
  handle(req: WxRequest): Promise<SandboxResponse>;
  /** The address to listen on (the sandbox's). */
  host: string;
  /** 0: any free port. */
  port: number;
  /** The host name the origin is given with (the host of the sandbox's public URL). */
  publicHost: string;
}

/**
 * WeChat's gateway over HTTPS, on the sandbox's address. It asks every client for a certificate but lets the
 * handshake finish without one (`rejectUnauthorized: false`), so `/secapi/*` can answer what is
 * wrong instead of a bare TLS alert; the other routes do not need one.
 */
export async function startTlsListener(
  options: TlsListenerOptions,
): Promise<{ origin: string; server: Server; close(): Promise<void> }> {
  const server = createServer(
    { key: options.key, cert: options.cert, ca: [options.ca], requestCert: true, rejectUnauthorized: false },
    (req, res) => {
      void (async () => {
        const socket = req.socket;
        if (!(socket instanceof TLSSocket)) throw new Error('an HTTPS request without a TLS socket');
        const peer = socket.getPeerCertificate();
        const url = new URL(req.url ?? '/', 'https://sandbox');
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers))
          if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
        const out = await options.handle({
          method: req.method ?? 'GET',
          path: url.pathname,
          query: url.searchParams,
          headers,
          body: await readBody(req),
          target: req.url ?? '/',
          tls: {
            authorized: socket.authorized,
            // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- null on a destroyed socket
            fingerprint256: peer && 'fingerprint256' in peer && peer.fingerprint256 ? peer.fingerprint256 : undefined,
          },
        });
        res.writeHead(out.status, out.headers ?? {});
        res.end(out.body ?? '');
      })().catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`sandbox error: ${error instanceof Error ? error.message : String(error)}`);
      });
    },
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, resolve);
  });
  const origin = new URL('https://sandbox');
  origin.hostname = options.publicHost.includes(':') ? `[${options.publicHost}]` : options.publicHost;
  origin.port = String((server.address() as AddressInfo).port);
  return {
    origin: origin.origin,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
