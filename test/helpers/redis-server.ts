import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { describe, it } from 'vitest';

/**
 * A real `redis-server` of the test's own: a free 127.0.0.1 port, a temporary data directory, no
 * RDB snapshots, AOF on or off. It can be stopped, killed with SIGKILL, and started again on the
 * same port and data directory, so that a test can check what survives a restart.
 */

export const REDIS_MISSING = 'install redis-server (apt-get install redis-server)';

/** The redis-server executable on PATH, or undefined. */
export const redisServerPath: string | undefined = (() => {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir || '.', 'redis-server');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
})();

/**
 * `describe` for tests that need redis-server: skipped with the install command when it is
 * missing, and failing with it when `CI` is set (a CI run must not pass by skipping).
 */
export function describeWithRedis(name: string, body: () => void): void {
  if (redisServerPath) {
    describe(name, body);
  } else if (process.env.CI) {
    describe(name, () => {
      it(REDIS_MISSING, () => {
        throw new Error(REDIS_MISSING);
      });
    });
  } else {
    describe.skip(`${name} (${REDIS_MISSING})`, body);
  }
}

export interface RedisServerOptions {
  /** Append-only file with `appendfsync always`, so that a SIGKILL loses no acknowledged write. Default off. */
  aof?: boolean;
  /** A Redis Cluster node (`cluster-enabled yes`), whose cluster bus port (port + 10000) is free too. */
  cluster?: boolean;
  /** More `--name value` arguments for redis-server. */
  args?: string[];
}

const live = new Set<RedisServer>();
// A test run that ends abruptly must not leave servers behind.
process.once('exit', () => {
  for (const server of live) server.process?.kill('SIGKILL');
});

export class RedisServer {
  process: ChildProcess | undefined;
  private log = '';

  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly options: RedisServerOptions,
  ) {}

  /** Starts a server on a free port in a new temporary directory. */
  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    if (!redisServerPath) throw new Error(REDIS_MISSING);
    for (let attempt = 1; ; attempt++) {
      const port = options.cluster ? await freeClusterPort() : await freePort();
      const server = new RedisServer(port, mkdtempSync(join(tmpdir(), 'paymount-redis-')), options);
      try {
        await server.launch();
        return server;
      } catch (error) {
        await server.cleanup();
        // Another process may take the port between the probe and the bind.
        if (attempt >= 3) throw error;
      }
    }
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.process !== undefined;
  }

  /** Starts the server again on the same port and data directory (after stop or kill). */
  async restart(): Promise<void> {
    if (this.process) throw new Error('redis-server is still running');
    await this.launch();
  }

  /** Asks the server to exit (SIGTERM: with AOF on, it flushes the file) and waits until it has. */
  stop(): Promise<void> {
    return this.end('SIGTERM');
  }

  /** Kills the server with SIGKILL, as a crash would, and waits until it is gone. */
  kill(): Promise<void> {
    return this.end('SIGKILL');
  }

  /** Suspends the server (SIGSTOP): connections stay open and nothing answers, as with a stalled host. */
  freeze(): void {
    this.process?.kill('SIGSTOP');
  }

  /** Resumes a frozen server (SIGCONT). */
  thaw(): void {
    this.process?.kill('SIGCONT');
  }

  /** Stops the server if it runs and deletes its data directory. */
  async cleanup(): Promise<void> {
    await this.end('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async launch(): Promise<void> {
    const args = [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--dir',
      this.dir,
      '--save',
      '',
      '--appendonly',
      this.options.aof ? 'yes' : 'no',
      '--appendfsync',
      'always',
      '--daemonize',
      'no',
      ...(this.options.cluster ? ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf'] : []),
      ...(this.options.args ?? []),
    ];
    const child = spawn(redisServerPath!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.process = child;
    live.add(this);
    this.log = '';
    const keep = (chunk: Buffer) => {
      this.log = (this.log + chunk.toString()).slice(-4000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    let exited = false;
    child.once('exit', () => {
      exited = true;
      if (this.process === child) this.process = undefined;
      live.delete(this);
    });
    const deadline = Date.now() + 10_000;
    while (!(await ping(this.port))) {
      if (exited || Date.now() > deadline) {
        await this.end('SIGKILL');
        throw new Error(`redis-server did not start on port ${this.port}:\n${this.log}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  private async end(signal: NodeJS.Signals): Promise<void> {
    const child = this.process;
    this.process = undefined;
    live.delete(this);
    if (child?.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    // A frozen server acts on SIGTERM only once continued.
    if (signal !== 'SIGKILL') child.kill('SIGCONT');
    await exited;
  }
}

/** A port nobody listens on right now (any, when `port` is 0). */
function freePort(port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(bound));
    });
  });
}

/** A free port whose cluster bus port, 10000 above it, is free as well. */
async function freeClusterPort(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port + 10000 > 65535) continue;
    if (
      await freePort(port + 10000).then(
        () => true,
        () => false,
      )
    )
      return port;
  }
}

/** True when a server answers PING with PONG (not while it loads its data, when it answers LOADING). */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}
