/**
 * The HTTP cases: a server process pinned to CPU 0 serves every variant; autocannon runs here,
 * pinned to CPU 1. Rounds are interleaved across variants; each run has a warm-up that is thrown
 * away, then a measured window for which the server reports its own CPU time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon, { type AutocannonRequest, type AutocannonResult } from 'autocannon';
import {
  ALIPAY_CONTENT_TYPE,
  alipayNotifyFields,
  formBody,
  NOTIFY_PATH,
  signNotify,
  signNotifySync,
} from '../alipay-input.js';
import type { RsaPair } from '../keys.js';
import { pinnedCommand, pinSelf } from '../pin.js';
import { poolOrderId, type ServerConfig, type ServerReply, type ServerRequest, type Variant } from './protocol.js';

export interface HttpOptions {
  variants: readonly Variant[];
  rounds: number;
  warmupS: number;
  measureS: number;
  connections: number;
  /** Pre-signed distinct notifies for the `*-distinct` variants. */
  poolSize: number;
  log: (message: string) => void;
}

export interface VariantResult {
  /** Requests per second of each round. */
  rps: number[];
  /** Server CPU time per request (µs) of each round. */
  cpuUsPerRequest: number[];
  p50: number[];
  p99: number[];
  /** Errors, timeouts, non-2xx answers and bodies other than `success`, over all rounds. */
  failures: number;
  /** For the distinct variants: the share of measured requests that fulfilled a new payment. */
  freshShare?: number[];
}

export interface HttpRun {
  results: Map<Variant, VariantResult>;
  checks: string[];
  poolSize: number;
  poolSignSeconds: number;
}

const ORDER_ID = 'ORDER20261125000001';
const HEADERS = { 'content-type': ALIPAY_CONTENT_TYPE };

/** Signs `size` distinct notifies on the thread pool (all cores): one order each. */
async function signPool(size: number, alipayKey: RsaPair['privateKey']): Promise<{ ids: string[]; bodies: string[] }> {
  const ids = Array.from({ length: size }, (_, i) => poolOrderId(i));
  const bodies: string[] = new Array(size);
  const chunk = 256;
  for (let start = 0; start < size; start += chunk) {
    const slice = ids.slice(start, start + chunk);
    const signed = await Promise.all(
      slice.map((id, j) => signNotify(alipayNotifyFields(id, start + j + 1), alipayKey)),
    );
    signed.forEach((fields, j) => (bodies[start + j] = formBody(fields)));
  }
  return { ids, bodies };
}

class ServerHandle {
  private waiting: ((reply: ServerReply) => void)[] = [];
  constructor(readonly child: ChildProcess) {
    child.on('message', (reply: ServerReply) => this.waiting.shift()?.(reply));
  }
  next(): Promise<ServerReply> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }
  ask(request: ServerRequest): Promise<ServerReply> {
    const reply = this.next();
    this.child.send(request);
    return reply;
  }
}

function startServer(config: ServerConfig): ServerHandle {
  const script = fileURLToPath(new URL('./server.ts', import.meta.url));
  const { command, args } = pinnedCommand('0', [process.execPath, ...process.execArgv, script]);
  const child = spawn(command, args, {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, PAYMOUNT_BENCH_SERVER: JSON.stringify(config) },
  });
  return new ServerHandle(child);
}

async function post(origin: string, body: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`${origin}${NOTIFY_PATH}`, { method: 'POST', headers: HEADERS, body });
  return { status: res.status, text: await res.text() };
}

/** One autocannon run; `mismatches` counts answers whose body is not `success` (checked per response). */
async function load(
  origin: string,
  seconds: number,
  connections: number,
  body: string | (() => string),
): Promise<AutocannonResult & { bodyMismatches: number }> {
  let bodyMismatches = 0;
  const onResponse = (_status: number, text: string) => {
    if (text !== 'success') bodyMismatches++;
  };
  const request: AutocannonRequest =
    typeof body === 'string'
      ? { method: 'POST', path: NOTIFY_PATH, headers: HEADERS, body, onResponse }
      : {
          method: 'POST',
          path: NOTIFY_PATH,
          headers: HEADERS,
          setupRequest: (req) => ({ ...req, body: body() }),
          onResponse,
        };
  const result = await autocannon({ url: origin, connections, duration: seconds, requests: [request] });
  return { ...result, bodyMismatches };
}

export async function runHttp(keys: { app: RsaPair; alipay: RsaPair }, options: HttpOptions): Promise<HttpRun> {
  const { log } = options;
  const distinct = options.variants.some((v) => v.endsWith('-distinct'));
  // Sign on both cores; the measured part below runs pinned again.
  pinSelf('0,1');
  const t0 = Date.now();
  const pool = distinct ? await signPool(options.poolSize, keys.alipay.privateKey) : { ids: [], bodies: [] };
  const poolSignSeconds = (Date.now() - t0) / 1000;
  if (distinct) log(`signed ${pool.bodies.length} distinct notifies in ${poolSignSeconds.toFixed(1)} s`);
  const same = formBody(signNotifySync(alipayNotifyFields(ORDER_ID), keys.alipay.privateKey));
  const tampered = same.replace('total_amount=88.88', 'total_amount=0.01');

  const server = startServer({
    variants: [...options.variants],
    appPrivatePem: keys.app.privatePem,
    alipayPublicPem: keys.alipay.publicPem,
    orderId: ORDER_ID,
    poolSize: pool.ids.length,
  });
  const ready = await server.next();
  if (ready.cmd !== 'ready') throw new Error('the bench server did not start');
  pinSelf('1');
  const origin = (v: Variant) => `http://127.0.0.1:${ready.ports[v]}`;

  try {
    // Before timing: every variant answers `success` to the notify it will get, paymount refuses a forgery.
    const checks: string[] = [];
    for (const v of options.variants) {
      const first = await post(origin(v), v.endsWith('-distinct') ? pool.bodies[0]! : same);
      if (first.status !== 200 || first.text !== 'success')
        throw new Error(`pre-timing check failed: ${v} answered ${first.status} ${first.text}`);
      if (v.includes('paymount')) {
        const forged = await post(origin(v), tampered);
        if (forged.status < 400 || forged.text !== 'fail')
          throw new Error(`pre-timing check failed: ${v} accepted a tampered notify (${forged.status})`);
        checks.push(`${v}: success for the signed notify, ${forged.status} fail for the tampered copy`);
      } else {
        checks.push(`${v}: success for the signed notify`);
      }
    }

    const results = new Map<Variant, VariantResult>(
      options.variants.map((v) => [v, { rps: [], cpuUsPerRequest: [], p50: [], p99: [], failures: 0 }]),
    );
    for (let round = 0; round < options.rounds; round++) {
      for (const v of options.variants) {
        let next = 0;
        const body = v.endsWith('-distinct') ? () => pool.bodies[next++ % pool.bodies.length]! : same;
        await server.ask({ cmd: 'reset' });
        await load(origin(v), options.warmupS, options.connections, body);
        next = 0;
        await server.ask({ cmd: 'reset' });
        await server.ask({ cmd: 'begin' });
        const result = await load(origin(v), options.measureS, options.connections, body);
        const end = await server.ask({ cmd: 'end' });
        if (end.cmd !== 'end') throw new Error('unexpected reply from the bench server');
        const r = results.get(v)!;
        const completed = result.requests.total;
        r.rps.push(completed / result.duration);
        r.cpuUsPerRequest.push(end.cpuUs / Math.max(1, end.requests));
        r.p50.push(result.latency.p50);
        r.p99.push(result.latency.p99);
        r.failures += result.errors + result.timeouts + result.non2xx + result.bodyMismatches;
        if (v.endsWith('-distinct')) (r.freshShare ??= []).push(end.paid / Math.max(1, end.requests));
      }
      log(`HTTP round ${round + 1}/${options.rounds} done`);
    }
    return { results, checks, poolSize: pool.bodies.length, poolSignSeconds };
  } finally {
    server.child.send({ cmd: 'exit' });
    pinSelf('0');
  }
}
