import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { Redis } from 'ioredis';
import { Agent, request } from 'undici';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { redisStore } from '../../src/store/redis.js';
import { RedisServer } from '../helpers/redis-server.js';
import { serializeConfig, type InstanceConfig, type LogLine } from './protocol.js';
import { instanceShop, type InstanceShop } from './shop.js';

/**
 * The parent's side of several instances: the instance processes (`app.ts`), a load balancer in
 * front of them that the providers and buyers reach (and that can hold back copies of notifies),
 * and the shared log.
 */

const APP = fileURLToPath(new URL('./app.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

const live = new Set<ChildProcess>();
// A run that ends abruptly must not leave instances behind.
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** One instance process: started, killed (SIGKILL), stopped and started again, on a new port each time. */
export class Instance {
  url = '';
  private child: ChildProcess | undefined;
  private output = '';
  /** How many times this instance was started. */
  starts = 0;
  /** CPU time (user + system, ms) of the processes of this instance that ended; see {@link cpuMs}. */
  private endedCpuMs = 0;

  private constructor(
    readonly name: string,
    private readonly file: string,
    private readonly entry: string[],
  ) {}

  /**
   * Writes the configuration next to the log and starts the process: `app.ts` through tsx, or
   * `bundle`, the same file compiled once by {@link bundleApp}.
   */
  static async start(config: InstanceConfig, dir: string, bundle?: string): Promise<Instance> {
    const file = join(dir, `${config.name}.json`);
    writeFileSync(file, serializeConfig(config));
    const instance = new Instance(config.name, file, bundle ? [bundle] : ['--import', 'tsx', APP]);
    await instance.launch();
    return instance;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  /** Running and listening: what a load balancer's health check would say. */
  get ready(): boolean {
    return this.child !== undefined && this.listening;
  }

  private listening = false;

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** The last few kilobytes the process wrote, for failure messages. */
  get log(): string {
    return this.output;
  }

  async launch(): Promise<void> {
    if (this.child) throw new Error(`instance ${this.name} is running`);
    this.listening = false;
    const child = spawn(process.execPath, [...this.entry, this.file], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    live.add(child);
    this.starts++;
    child.once('exit', () => {
      live.delete(child);
      if (this.child === child) {
        this.child = undefined;
        this.listening = false;
      }
    });
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-8000);
    };
    child.stderr.on('data', keep);
    this.url = await new Promise<string>((resolve, reject) => {
      let buffered = '';
      const timer = setTimeout(() => fail(new Error('did not listen within 60 s')), 60_000);
      const fail = (error: Error) => {
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(new Error(`instance ${this.name}: ${error.message}\n${this.output}`));
      };
      child.stdout.on('data', (chunk: Buffer) => {
        keep(chunk);
        buffered += chunk.toString();
        const found = /listening (http:\/\/\S+)/.exec(buffered);
        if (found) {
          clearTimeout(timer);
          this.listening = true;
          resolve(found[1]!);
        }
      });
      child.once('exit', (code, signal) => fail(new Error(`exited (${signal ?? code}) before listening`)));
    });
  }

  /** CPU time (user + system, ms) of every process of this instance so far: the ended ones and the running one. */
  get cpuMs(): number {
    return this.endedCpuMs + (this.child?.pid === undefined ? 0 : processCpuMs(this.child.pid));
  }

  /** SIGKILL, as a crash or an OOM kill would: no cleanup of any kind. Resolves once the process is gone. */
  kill(): Promise<void> {
    return this.end('SIGKILL');
  }

  /** SIGTERM: the process closes its server and exits. */
  stop(): Promise<void> {
    return this.end('SIGTERM');
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }

  /** Sets how long each `onPaid` of this instance takes from now on. */
  async slow(ms: number): Promise<void> {
    const res = await fetch(`${this.url}/control/slow?ms=${ms}`, { method: 'POST' });
    if (res.status !== 200) throw new Error(`instance ${this.name}: /control/slow answered ${res.status}`);
  }

  private async end(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    if (child.exitCode !== null || child.signalCode !== null) return;
    // Read before the signal: a process's counters go with it.
    if (child.pid !== undefined) this.endedCpuMs += processCpuMs(child.pid);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await exited;
  }
}

/**
 * CPU time (user + system, ms) a process has used, from `/proc/<pid>/stat` (fields 14 and 15, in
 * clock ticks of 10 ms on Linux); 0 where there is no such file.
 */
export function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

/** A request as it reached the load balancer: what a provider sent, to be sent again. */
export interface Captured {
  method: string;
  /** Path and query. */
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}

export interface Answer {
  status: number;
  body: string;
  headers: Record<string, string>;
}

const HOP_BY_HOP = new Set(['host', 'connection', 'keep-alive', 'transfer-encoding', 'content-length']);
const dispatcher = new Agent({ connections: 64, pipelining: 0 });

/** Sends `req` to `origin` as it was sent the first time (the exact bytes and headers). */
export async function send(req: Captured, origin: string): Promise<Answer> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(name)) headers[name] = value;
  const res = await request(`${origin}${req.path}`, {
    method: req.method as 'POST',
    headers,
    body: req.method === 'GET' || req.method === 'HEAD' ? undefined : req.body,
    dispatcher,
    headersTimeout: 60_000,
    bodyTimeout: 60_000,
  });
  const body = await res.body.text();
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(res.headers)) if (typeof value === 'string') out[name] = value;
  return { status: res.statusCode, body, headers: out };
}

/**
 * A load balancer on 127.0.0.1: the public origin of the instances. It sends each request to the
 * next running instance (round robin) and answers 502 when that instance fails mid-request (a
 * killed process), as a proxy would. It records every request; requests matching a `hold` are
 * recorded and answered 503 without reaching any instance, so a test can send the copies itself.
 */
export class Balancer {
  readonly requests: Captured[] = [];
  private holds: ((req: Captured) => boolean)[] = [];
  private next = 0;
  /** Chooses the instance for a request; default round robin over the running ones. */
  route: (req: Captured, running: Instance[]) => Instance | undefined = (_req, running) =>
    running[this.next++ % Math.max(running.length, 1)];

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly instances: () => Instance[],
  ) {}

  static async start(instances: () => Instance[]): Promise<Balancer> {
    // Requests arrive only once the server listens, after `balancer` is set.
    const server = createServer((req, res) => void balancer.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const balancer = new Balancer(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`, instances);
    return balancer;
  }

  /** Holds back requests that match until the returned function is called. */
  hold(match: (req: Captured) => boolean): () => void {
    this.holds.push(match);
    return () => {
      this.holds = this.holds.filter((m) => m !== match);
    };
  }

  /** Requests of `path` (a prefix) seen so far. */
  seen(path: string): Captured[] {
    return this.requests.filter((r) => r.path.startsWith(path));
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === 'string') headers[name] = value;
      else if (Array.isArray(value)) headers[name] = value.join(', ');
    }
    const captured: Captured = { method: req.method!, path: req.url!, headers, body: Buffer.concat(chunks) };
    this.requests.push(captured);
    if (this.holds.some((match) => match(captured))) {
      res.writeHead(503, { 'content-type': 'text/plain' }).end('held by the load balancer');
      return;
    }
    const target = this.route(
      captured,
      this.instances().filter((i) => i.ready),
    );
    if (!target) {
      res.writeHead(503, { 'content-type': 'text/plain' }).end('no instance running');
      return;
    }
    try {
      const answer = await send(captured, target.url);
      res.writeHead(answer.status, answer.headers).end(answer.body);
    } catch (error) {
      res.writeHead(502, { 'content-type': 'text/plain' }).end(`instance ${target.name} failed: ${String(error)}`);
    }
  }
}

/** The shared log file of a run, and its lines. */
export class SharedLog {
  readonly dir = mkdtempSync(join(tmpdir(), 'paymount-instances-'));
  readonly file = join(this.dir, 'hooks.log');

  constructor() {
    writeFileSync(this.file, '');
  }

  lines(): LogLine[] {
    return readFileSync(this.file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as LogLine);
  }

  /** Lines about one payment (its idempotency key), or about the payments of one order. */
  about(match: { key?: string; orderId?: string }): LogLine[] {
    return this.lines().filter(
      (l) =>
        (match.key === undefined || l.key === match.key) &&
        (match.orderId === undefined || l.orderId === match.orderId),
    );
  }

  /** How many `onPaid` calls began, ended and were recorded for the payments of an order. */
  count(orderId: string): { started: number; ended: number; recorded: number; keys: string[] } {
    const lines = this.lines();
    const paid = lines.filter((l) => l.orderId === orderId && l.type === 'paid-start');
    const keys = [...new Set(paid.map((l) => l.key))];
    return {
      started: paid.length,
      ended: lines.filter((l) => l.orderId === orderId && l.type === 'paid-end').length,
      recorded: lines.filter((l) => l.type === 'recorded' && keys.includes(l.key)).length,
      keys,
    };
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Waits for `check` to hold, polling; throws `what` after `ms`. */
export async function until<T>(check: () => T | undefined | false, what: string, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** What a cluster is made of: one redis-server, the sandbox, a load balancer, instances, the shared log. */
export interface ClusterOptions {
  instances: { framework: 'express' | 'koa'; client: 'node-redis' | 'ioredis' }[];
  lockTtlMs: number;
  lockWaitMs: number;
  /** Redis with the append-only file (`appendfsync always`). Default true. */
  aof?: boolean;
  /** The sandbox's retry schedules, scaled (see `startSandbox`). */
  timeScale?: number;
  /**
   * Runs the instances from one bundle of `app.ts` built at start ({@link bundleApp}) instead of
   * through tsx, which compiles every file again in each new process: for runs that restart
   * instances all the time. Default false.
   */
  bundled?: boolean;
  /**
   * Starts the sandbox with a state dir in the run's directory ({@link Cluster.sandboxStateDir}),
   * where it saves the providers' keys: for a harness that signs notifies as the providers do.
   * Default false.
   */
  sandboxState?: boolean;
  /**
   * False: the WeChat Pay API v2 merchant is configured without its client certificate, which
   * only refunds use (mutual TLS at `/secapi/*`, docs/providers/wechatpay.md): a start then opens
   * one .p12 and builds one TLS context less, for runs that restart instances all the time and
   * never refund. Default true.
   */
  refunds?: boolean;
}

/**
 * Compiles `app.ts`, the paymount sources and the packages it imports into one ES module, in a new
 * directory under `node_modules/.cache`. Returns its path and a function that removes it.
 */
export async function bundleApp(): Promise<{ file: string; remove: () => void }> {
  const cache = join(ROOT, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(join(cache, 'paymount-instance-'));
  const file = join(dir, 'app.mjs');
  await build({
    entryPoints: [APP],
    outfile: file,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // The packages too: a start then reads and compiles one file instead of resolving, reading and
    // scanning hundreds of CommonJS modules, which was most of a start's CPU.
    logLevel: 'error',
    // CommonJS packages inside an ES module still `require` Node's built-in modules.
    banner: {
      js:
        "import { createRequire as __soakRequire } from 'node:module'; " +
        'const require = __soakRequire(import.meta.url);',
    },
  });
  return { file, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface Cluster {
  redis: RedisServer;
  sandbox: Sandbox;
  balancer: Balancer;
  instances: Instance[];
  log: SharedLog;
  /** paymount in the test process on the same Redis: a reconcile job calling settle, query and refund. */
  job: InstanceShop;
  /** The sandbox's state dir (its keys, certificates and ids), when started with `sandboxState`. */
  sandboxStateDir?: string;
  /** The configuration of a further instance (for `Instance.start(config, cluster.log.dir)`). */
  configFor(name: string, framework: 'express' | 'koa', client: 'node-redis' | 'ioredis'): InstanceConfig;
  close(): Promise<void>;
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const log = new SharedLog();
  const sandboxStateDir = options.sandboxState ? join(log.dir, 'sandbox') : undefined;
  // Independent, so started together: the bundle is built by esbuild's own process.
  const [bundle, redis, sandbox] = await Promise.all([
    options.bundled ? bundleApp() : undefined,
    RedisServer.start({ aof: options.aof ?? true }),
    startSandbox({ timeScale: options.timeScale, stateDir: sandboxStateDir }),
  ]);
  const instances: Instance[] = [];
  const balancer = await Balancer.start(() => instances);
  const config = (name: string, framework: 'express' | 'koa', client: 'node-redis' | 'ioredis'): InstanceConfig => ({
    name,
    framework,
    client,
    redisUrl: redis.url,
    publicOrigin: balancer.url,
    log: log.file,
    providers: {
      alipay: sandbox.alipay,
      wechatpay: sandbox.wechatpay,
      unionpay: sandbox.unionpay,
      wechatpayV2:
        options.refunds === false
          ? { ...sandbox.wechatpayV2, v2: { ...sandbox.wechatpayV2.v2!, clientCertificate: undefined } }
          : sandbox.wechatpayV2,
    },
    lockTtlMs: options.lockTtlMs,
    lockWaitMs: options.lockWaitMs,
  });
  const started = await Promise.all(
    options.instances.map((o, i) =>
      Instance.start(config(String.fromCharCode(97 + i), o.framework, o.client), log.dir, bundle?.file),
    ),
  );
  instances.push(...started);
  const client = new Redis(redis.url, { lazyConnect: true });
  await client.connect();
  const job = instanceShop(config('job', 'express', 'ioredis'), redisStore({ client, logger: false }), 'job');
  return {
    redis,
    sandbox,
    balancer,
    instances,
    log,
    job,
    sandboxStateDir,
    configFor: config,
    async close() {
      await Promise.all(instances.map((i) => i.kill()));
      client.disconnect();
      await balancer.close();
      await sandbox.close();
      await redis.cleanup();
      log.remove();
      bundle?.remove();
    },
  };
}
