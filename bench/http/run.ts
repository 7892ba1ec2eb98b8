/**
 * The HTTP cases. One server process, pinned to CPU 0, serves every variant on one port; autocannon
 * runs here, pinned to CPU 1. In a window the load moves from variant to variant every `phaseMs`
 * (in a shuffled order, round and round), so every variant is measured many times within the same
 * couple of seconds, as the in-process cases take turns. The server measures its own CPU time per
 * request, by variant (slices.ts): that figure, unlike req/s, does not move when other work slows
 * the load generator or takes turns on the server's core.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon, { type AutocannonRequest } from 'autocannon';
import { ALIPAY_CONTENT_TYPE, alipayNotifyFields, formBody, signNotify, signNotifySync } from '../alipay-input.js';
import type { RsaPair } from '../keys.js';
import { loadBetween, snapshot, type LoadSummary } from '../load.js';
import { pinnedCommand, pinSelf } from '../pin.js';
import { prng, shuffled } from '../stats.js';
import {
  DISTINCT,
  poolOrderId,
  variantPath,
  type ServerConfig,
  type ServerReply,
  type ServerRequest,
  type Variant,
} from './protocol.js';

export interface HttpOptions {
  variants: readonly Variant[];
  rounds: number;
  /** Load before each measured window (not measured). */
  warmupS: number;
  measureS: number;
  /** How long the load stays on one variant before it moves to the next. */
  phaseMs: number;
  connections: number;
  /** Notifies pre-signed for each distinct variant. */
  poolSize: number;
  /** Seeds the order of variants in each window. */
  seed: number;
  log: (message: string) => void;
}

/** What the measured windows gave one variant, window by window. */
export interface VariantWindows {
  /** Server CPU µs per counted (undisturbed, warm) request. */
  cpuUsPerRequest: number[];
  /** Server CPU µs per request over all of the variant's slices. */
  allCpuUsPerRequest: number[];
  /** Counted share of the variant's requests. */
  counted: number[];
  requests: number[];
  /** Distinct variants: the share of requests that fulfilled a new payment. */
  freshShare?: number[];
}

export interface HttpWindows {
  windows: Map<Variant, VariantWindows>;
  /** Server CPU ÷ wall time of each window (1: the server had its core to itself and was never idle). */
  cpuShare: number[];
  /** Errors, timeouts, non-2xx answers and bodies other than `success`, over all windows. */
  failures: number;
  checks: string[];
  poolSize: number;
  poolSignSeconds: number;
  load?: LoadSummary;
}

const ORDER_ID = 'ORDER20261125000001';
const HEADERS = { 'content-type': ALIPAY_CONTENT_TYPE };

/** Signs `size` distinct notifies per distinct variant on the thread pool (all cores): one order each. */
async function signPools(size: number, alipayKey: RsaPair['privateKey']): Promise<Map<Variant, string[]>> {
  const pools = new Map<Variant, string[]>();
  for (const [n, variant] of DISTINCT.entries()) {
    const bodies: string[] = [];
    for (let start = 0; start < size; start += 256) {
      const chunk = Array.from({ length: Math.min(256, size - start) }, (_, j) => start + j);
      const signed = await Promise.all(
        chunk.map((i) => signNotify(alipayNotifyFields(poolOrderId(variant, i), n * size + i + 1), alipayKey)),
      );
      for (const fields of signed) bodies.push(formBody(fields));
    }
    pools.set(variant, bodies);
  }
  return pools;
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

async function post(origin: string, variant: Variant, body: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`${origin}${variantPath(variant)}`, { method: 'POST', headers: HEADERS, body });
  return { status: res.status, text: await res.text() };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runHttp(keys: { app: RsaPair; alipay: RsaPair }, options: HttpOptions): Promise<HttpWindows> {
  const { log } = options;
  // Sign on both cores; the measured part below runs pinned again.
  pinSelf('0,1');
  const t0 = Date.now();
  const pools = await signPools(options.poolSize, keys.alipay.privateKey);
  const poolSignSeconds = (Date.now() - t0) / 1000;
  log(
    `signed ${options.poolSize} distinct notifies for each of ${DISTINCT.length} variants in ${poolSignSeconds.toFixed(1)} s`,
  );
  const same = formBody(signNotifySync(alipayNotifyFields(ORDER_ID), keys.alipay.privateKey));
  const tampered = same.replace('total_amount=88.88', 'total_amount=0.01');

  const server = startServer({
    variants: [...options.variants],
    appPrivatePem: keys.app.privatePem,
    alipayPublicPem: keys.alipay.publicPem,
    orderId: ORDER_ID,
    poolSize: options.poolSize,
  });
  const ready = await server.next();
  if (ready.cmd !== 'ready') throw new Error('the bench server did not start');
  pinSelf('1');
  const origin = `http://127.0.0.1:${ready.port}`;

  try {
    // Before timing: every variant answers `success` to the notify it will get, paymount refuses a forgery.
    const checks: string[] = [];
    for (const v of options.variants) {
      const first = await post(origin, v, pools.get(v)?.[0] ?? same);
      if (first.status !== 200 || first.text !== 'success')
        throw new Error(`pre-timing check failed: ${v} answered ${first.status} ${first.text}`);
      if (v.includes('paymount')) {
        const forged = await post(origin, v, tampered);
        if (forged.status < 400 || forged.text !== 'fail')
          throw new Error(`pre-timing check failed: ${v} accepted a tampered notify (${forged.status})`);
        checks.push(`${v}: success for the signed notify, ${forged.status} fail for the tampered copy`);
      } else {
        checks.push(`${v}: success for the signed notify`);
      }
    }

    const windows = new Map<Variant, VariantWindows>(
      options.variants.map((v) => [
        v,
        {
          cpuUsPerRequest: [],
          allCpuUsPerRequest: [],
          counted: [],
          requests: [],
          freshShare: DISTINCT.includes(v) ? [] : undefined,
        },
      ]),
    );
    const cpuShare: number[] = [];
    let failures = 0;
    const random = prng(options.seed);
    const pids = [process.pid, server.child.pid!];
    const before = snapshot(pids);
    for (let round = 0; round < options.rounds; round++) {
      const order = shuffled(options.variants, random);
      const next = new Map<Variant, number>();
      const start = performance.now();
      const request: AutocannonRequest = {
        method: 'POST',
        headers: HEADERS,
        setupRequest: (req) => {
          const v = order[Math.floor((performance.now() - start) / options.phaseMs) % order.length]!;
          const pool = pools.get(v);
          let body = same;
          if (pool) {
            const i = next.get(v) ?? 0;
            next.set(v, i + 1);
            body = pool[i % pool.length]!;
          }
          return { ...req, path: variantPath(v), body };
        },
        onResponse: (_status: number, text: string) => {
          if (text !== 'success') failures++;
        },
      };
      await server.ask({ cmd: 'reset' });
      const running = autocannon({
        url: origin,
        connections: options.connections,
        duration: options.warmupS + options.measureS + 0.2,
        requests: [request],
      });
      await sleep(options.warmupS * 1000);
      await server.ask({ cmd: 'begin' });
      await sleep(options.measureS * 1000);
      const end = await server.ask({ cmd: 'end' });
      const result = await running;
      if (end.cmd !== 'end') throw new Error('unexpected reply from the bench server');
      failures += result.errors + result.timeouts + result.non2xx;
      cpuShare.push(end.cpuUs / end.wallUs);
      for (const [v, w] of windows) {
        const c = end.variants[v];
        const requests = c?.requests ?? 0;
        w.requests.push(requests);
        w.cpuUsPerRequest.push(c && c.counted > 0 ? c.countedCpuUs / c.counted : NaN);
        w.allCpuUsPerRequest.push(c && requests > 0 ? c.cpuUs / requests : NaN);
        w.counted.push(c && requests > 0 ? c.counted / requests : 0);
        w.freshShare?.push(c && requests > 0 ? c.paid / requests : 0);
      }
    }
    const load = loadBetween(before, snapshot(pids));
    log(`HTTP: ${options.rounds} windows done`);
    return { windows, cpuShare, failures, load, checks, poolSize: options.poolSize, poolSignSeconds };
  } finally {
    server.child.send({ cmd: 'exit' });
    pinSelf('0');
  }
}
