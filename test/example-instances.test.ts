import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openCashier, pressAndComeBack } from './conformance/flows.js';
import { describeWithRedis, RedisServer } from './helpers/redis-server.js';

/**
 * The Express example as a new user would run it on several instances (README, "Several instances
 * and restarts"): `npx paymount sandbox`, one redis-server, two `examples/express/main.ts`
 * processes given `REDIS_URL`, `PUBLIC_URL`, `LINK_SECRET` and `PAYMOUNT_SANDBOX_OPTIONS`, and a
 * load balancer in front that sends each request to the next instance and every notify to both
 * (a provider's retry can reach any instance, and copies can arrive at once). An order created on
 * one instance is paid through the other, once.
 */

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const children = new Set<ChildProcess>();
// A run that ends abruptly must not leave processes behind.
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/** A process started from the repository root through tsx; `ready` resolves with the match of `readyLine`. */
function run(args: string[], env: Record<string, string>, readyLine: RegExp) {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<number | null>((resolve) =>
    child.once('close', (code) => {
      children.delete(child);
      resolve(code);
    }),
  );
  const ready = new Promise<RegExpExecArray>((resolve, reject) => {
    child.stdout.on('data', () => {
      const found = readyLine.exec(output);
      if (found) resolve(found);
    });
    void exited.then((code) => reject(new Error(`${args.join(' ')} exited (${code}):\n${output}`)));
  });
  return {
    ready,
    /** Everything the process wrote so far (all of it once `stop` has resolved). */
    output: () => output,
    /** SIGTERM, then waits until the process has exited and its output is read to the end. */
    async stop(): Promise<number | null> {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

const HOP_BY_HOP = new Set(['host', 'connection', 'keep-alive', 'transfer-encoding', 'content-length']);

/** Forwards one request to `origin` with the exact bytes and headers it came with. */
async function forward(req: IncomingMessage, body: Buffer, origin: string) {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers))
    if (typeof value === 'string' && !HOP_BY_HOP.has(name)) headers[name] = value;
  const res = await request(`${origin}${req.url ?? '/'}`, {
    method: req.method as 'GET',
    headers,
    body: req.method === 'GET' || req.method === 'HEAD' ? undefined : body,
  });
  return { status: res.statusCode, headers: res.headers, body: Buffer.from(await res.body.arrayBuffer()) };
}

/** The load balancer: round robin, and every notify sent to every instance at once. */
class Balancer {
  readonly notifies: { path: string; answers: { status: number; body: string }[] }[] = [];
  instances: string[] = [];
  private next = 0;
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<Balancer> {
    const server = createServer((req, res) => void balancer.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const balancer = new Balancer(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return balancer;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    try {
      const first = this.instances[this.next++ % this.instances.length]!;
      const copies = req.url?.startsWith('/pay/notify/') ? this.instances : [first];
      // Copies go out together, the one for `first` among them; the provider gets `first`'s answer.
      const answers = await Promise.all(copies.map((origin) => forward(req, body, origin)));
      const answer = answers[copies.indexOf(first)]!;
      if (copies.length > 1)
        this.notifies.push({
          path: req.url!,
          answers: answers.map((a) => ({ status: a.status, body: a.body.toString() })),
        });
      for (const [name, value] of Object.entries(answer.headers))
        if (value !== undefined && !HOP_BY_HOP.has(name)) res.setHeader(name, value);
      res.writeHead(answer.status).end(answer.body);
    } catch (error) {
      res.writeHead(502).end(String(error));
    }
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describeWithRedis('examples/express: two instances on one Redis', () => {
  let redis: RedisServer;
  let balancer: Balancer;
  let sandbox: ReturnType<typeof run>;
  let apps: ReturnType<typeof run>[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'paymount-example-instances-'));

  beforeAll(async () => {
    [redis, balancer] = await Promise.all([RedisServer.start(), Balancer.start()]);
    // The command a user runs; a small time scale makes a retried notify come within seconds.
    sandbox = run(
      ['src/sandbox/cli.ts', 'sandbox', '--port', '0', '--state-dir', dir, '--time-scale', '0.01'],
      {},
      /^PAYMOUNT_SANDBOX_OPTIONS=(.+)$/m,
    );
    const optionsFile = (await sandbox.ready)[1]!;
    const env = {
      PORT: '0',
      REDIS_URL: redis.url,
      PUBLIC_URL: balancer.url,
      LINK_SECRET: randomBytes(32).toString('hex'),
      PAYMOUNT_SANDBOX_OPTIONS: optionsFile,
    };
    apps = [0, 1].map(() => run(['examples/express/main.ts'], env, /^paymount \+ Express 5: (\S+)/m));
    balancer.instances = await Promise.all(apps.map(async (app) => (await app.ready)[1]!));
  }, 180_000);

  afterAll(async () => {
    await Promise.all([...apps, sandbox].map((child) => child?.stop()));
    await balancer?.close();
    await redis?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it(
    'an order created on one instance is paid through the other, and onPaid runs once',
    { timeout: 120_000 },
    async () => {
      // GET / on the first instance creates the order; the checkout link goes to the second.
      const home = await fetch(balancer.url);
      expect(home.status).toBe(200);
      const html = await home.text();
      const link = new URL(/id="pay-alipay" href="([^"]+)"/.exec(html)![1]!.replace(/&amp;/g, '&'), balancer.url);
      const orderId = link.searchParams.get('orderId')!;

      const { back } = await pressAndComeBack(await openCashier(link.href), 'pay');
      expect(back.status).toBe(302);
      expect(new URL(back.headers.get('location')!, balancer.url).href).toBe(`${balancer.url}/orders/${orderId}`);

      // The sandbox's notify reached both instances; each answered Alipay's `success`.
      const deadline = Date.now() + 60_000;
      while (!balancer.notifies.some((n) => n.answers.every((a) => a.status === 200 && a.body === 'success'))) {
        if (Date.now() > deadline) throw new Error(`no notify answered by both: ${JSON.stringify(balancer.notifies)}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      // Both instances show the order paid, whichever the balancer picks.
      for (const _ of apps)
        expect(await (await fetch(`${balancer.url}/orders/${orderId}`)).text()).toContain('paid</span>');

      // Stopped, each instance has written all it will: one `paid:` line in all, for this order.
      for (const app of apps) expect(await app.stop()).toBe(0);
      const paid = apps.flatMap((app) => app.output().match(/^paid: .*$/gm) ?? []);
      expect(paid).toEqual([
        expect.stringMatching(new RegExp(`^paid: order ${orderId} by alipay \\(transaction \\S+\\)$`)),
      ]);
    },
  );
});
