import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import express4 from 'express4';
import Koa from 'koa';
import Koa2 from 'koa2';
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Payments } from '../../src/index.js';
import { expressPayments } from '../../adapters/express.js';
import { koaPayments } from '../../adapters/koa.js';
import { fetchPayments } from '../../adapters/fetch.js';
import { peerAddress, serveFetch, type FetchHandler } from './fetch-bridge.js';

/** The framework majors the conformance suite runs against (the matrix's columns). */
export const frameworks = [
  { id: 'express4', label: 'Express 4' },
  { id: 'express5', label: 'Express 5' },
  { id: 'koa2', label: 'Koa 2' },
  { id: 'koa3', label: 'Koa 3' },
  { id: 'fetch', label: 'fetch' },
] as const;

export type Framework = (typeof frameworks)[number]['id'];

/** How the host app around the router is built. */
export interface HostOptions {
  /**
   * Body parsers the host installs BEFORE the router (Express: `express.json`/`urlencoded`; Koa:
   * `@koa/bodyparser`). `discard`: a host middleware reads the whole body and keeps nothing.
   */
  parsers?: 'json' | 'urlencoded' | 'both' | 'discard';
  /** Express: the parsers keep the exact bytes as `req.rawBody` (their `verify` option), the documented fix. */
  keepRawBody?: boolean;
  /**
   * Where routers are mounted. A path under `/api/` is mounted through a sub-router on Express
   * (`Router` at `/api`, then the router at the rest) and with the full prefix on Koa and fetch;
   * `''` mounts at the root (no prefix).
   */
  mounts: string[];
}

/** A running host app: its own routes plus paymount routers attached after `listen`. */
export interface Host {
  framework: Framework;
  origin: string;
  /** Attaches the payments router for one of `options.mounts`. */
  attach(mount: string, payments: Payments): void;
  close(): Promise<void>;
}

/** Marks every answer the host gave itself, so a check can tell "fell through" from "paymount answered". */
export const HOST_HEADER = 'x-host';

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function expressHost(framework: 'express4' | 'express5', options: HostOptions, routers: Map<string, Payments>): Server {
  const e = framework === 'express5' ? express : express4;
  const app = e();
  const verify = options.keepRawBody
    ? (req: unknown, _res: unknown, buf: Buffer) => void ((req as { rawBody?: Buffer }).rawBody = buf)
    : undefined;
  if (options.parsers === 'json' || options.parsers === 'both') app.use(e.json({ verify }));
  if (options.parsers === 'urlencoded' || options.parsers === 'both')
    app.use(e.urlencoded({ extended: false, verify }));
  if (options.parsers === 'discard') app.use((req, _res, next) => void req.resume().once('end', () => next()));
  const api = e.Router();
  for (const mount of options.mounts) {
    let handler: ReturnType<typeof expressPayments> | undefined;
    const lazy: express.RequestHandler = (req, res, next) => {
      const payments = routers.get(mount);
      if (!payments) {
        next();
        return;
      }
      handler ??= expressPayments(payments);
      handler(req, res, next);
    };
    if (mount === '') app.use(lazy);
    else if (mount.startsWith('/api/')) api.use(mount.slice('/api'.length), lazy);
    else app.use(mount, lazy);
    // Host routes inside the mount path that paymount does not own; the feedback route parses
    // its own body with a parser installed AFTER the router.
    app.get(`${mount}/health`, (_req, res) => void res.set(HOST_HEADER, 'route').send('host ok'));
    app.post(
      `${mount}/feedback`,
      e.urlencoded({ extended: false }),
      (req, res) => void res.set(HOST_HEADER, 'route').json(req.body ?? null),
    );
  }
  app.use('/api', api);
  app.use((_req, res) => void res.status(404).set(HOST_HEADER, 'fallthrough').send('host 404'));
  return app.listen(0, '127.0.0.1');
}

function koaHost(framework: 'koa2' | 'koa3', options: HostOptions, routers: Map<string, Payments>): Server {
  const K = framework === 'koa3' ? Koa : Koa2;
  const app = new K();
  if (options.parsers === 'discard') {
    app.use(async (ctx, next) => {
      await new Promise((resolve) => ctx.req.resume().once('end', resolve));
      await next();
    });
  } else if (options.parsers) {
    const enableTypes =
      options.parsers === 'both' ? ['json', 'form'] : options.parsers === 'json' ? ['json'] : ['form'];
    app.use(bodyParser({ enableTypes: enableTypes as never }) as never);
  }
  for (const mount of options.mounts) {
    let middleware: ReturnType<typeof koaPayments> | undefined;
    app.use(async (ctx, next) => {
      const payments = routers.get(mount);
      if (!payments) return next();
      middleware ??= koaPayments(payments, { prefix: mount });
      return middleware(ctx, next);
    });
  }
  const router = new Router();
  for (const mount of options.mounts) {
    router.get(`${mount}/health`, (ctx) => {
      ctx.set(HOST_HEADER, 'route');
      ctx.body = 'host ok';
    });
    router.post(`${mount}/feedback`, bodyParser({ enableTypes: ['form'] }) as never, (ctx) => {
      ctx.set(HOST_HEADER, 'route');
      ctx.body = (ctx.request as { body?: unknown }).body ?? null;
    });
  }
  app.use(router.routes() as never);
  app.use((ctx) => {
    ctx.status = 404;
    ctx.set(HOST_HEADER, 'fallthrough');
    ctx.body = 'host 404';
  });
  return app.listen(0, '127.0.0.1');
}

function fetchHost(options: HostOptions, routers: Map<string, Payments>): Server {
  const hostRoutes: FetchHandler = async (request) => {
    const { pathname } = new URL(request.url);
    for (const mount of options.mounts) {
      if (request.method === 'GET' && pathname === `${mount}/health`)
        return new Response('host ok', { headers: { [HOST_HEADER]: 'route' } });
      if (request.method === 'POST' && pathname === `${mount}/feedback`) {
        const fields = Object.fromEntries(new URLSearchParams(await request.text()));
        return Response.json(fields, { headers: { [HOST_HEADER]: 'route' } });
      }
    }
    return new Response('host 404', { status: 404, headers: { [HOST_HEADER]: 'fallthrough' } });
  };
  // Each router falls back to the next one, the last to the host's own routes.
  const handler: FetchHandler = async (request) => {
    if (options.parsers === 'discard' && request.body) await request.arrayBuffer();
    let chain = hostRoutes;
    for (const mount of [...options.mounts].reverse()) {
      const payments = routers.get(mount);
      if (payments)
        chain = fetchPayments(payments, { prefix: mount, clientIp: (r) => peerAddress.get(r), fallback: chain });
    }
    return chain(request);
  };
  return serveFetch(handler).listen(0, '127.0.0.1');
}

/** Starts a host app of `framework` on 127.0.0.1:0. */
export async function startHost(framework: Framework, options: HostOptions): Promise<Host> {
  const routers = new Map<string, Payments>();
  const server =
    framework === 'express4' || framework === 'express5'
      ? expressHost(framework, options, routers)
      : framework === 'koa2' || framework === 'koa3'
        ? koaHost(framework, options, routers)
        : fetchHost(options, routers);
  const origin = await listen(server);
  return {
    framework,
    origin,
    attach(mount, payments) {
      if (!options.mounts.includes(mount)) throw new Error(`${mount} is not one of this host's mounts`);
      routers.set(mount, payments);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
