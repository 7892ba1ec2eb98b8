import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { SandboxRequest, SandboxResponse, Simulator } from './types.js';

const MAX_BODY = 1024 * 1024;

/** Reads a request body up to 1 MiB (the simulators' own limit). */
export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) req.destroy(new Error('body too large'));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** One HTTP server; `/<name>/…` goes to the simulator registered under `name`. */
export function createSandboxServer(simulators: Map<string, Simulator<unknown>>): Server {
  return createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://sandbox');
      const [, name = '', ...rest] = url.pathname.split('/');
      const simulator = simulators.get(name);
      let out: SandboxResponse;
      if (!simulator) {
        out = {
          status: 404,
          headers: { 'content-type': 'text/plain' },
          body: `no simulator at /${name} (have: ${[...simulators.keys()].join(', ')})`,
        };
      } else {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers))
          if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
        const request: SandboxRequest = {
          method: req.method ?? 'GET',
          path: `/${rest.join('/')}`,
          query: url.searchParams,
          target: req.url ?? '/',
          headers,
          body: await readBody(req),
        };
        out = await simulator.handle(request);
      }
      res.writeHead(out.status, out.headers ?? {});
      res.end(out.body ?? '');
    })().catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`sandbox error: ${(error as Error).message}`);
    });
  });
}
