import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, readSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The Redis of the HTTP section's Redis-store cases: a `redis-server` of the bench's own, on a free
 * 127.0.0.1 port, configured as a shop would run it for paymount (docs/state.md, "Persistence and
 * replication"): append-only file with `appendfsync everysec`, no RDB snapshots, `noeviction`. It
 * inherits the bench's CPU pinning, so it shares the bench's core.
 *
 * Its CPU time is part of what a notify costs with the Redis store, and it is spent in another
 * process, which `process.cpuUsage()` does not see: {@link BenchRedis.cpuMicros} reads it from
 * `/proc/<pid>/task/<tid>/schedstat` (nanoseconds of CPU per thread, summed over redis-server's
 * threads). `/proc/<pid>/stat`'s utime and stime count 10 ms clock ticks, coarser than a whole
 * round of one case (about 100 requests), so they cannot be charged turn by turn.
 *
 * The files are opened once and read in place (`pread` at offset 0): a `readFileSync` of each, twice
 * per sub-batch, cost this process ~40 µs per file (~250 µs per reading of all of them), which was
 * not charged to the case but ran between its requests and cooled their caches.
 */

export interface BenchRedis {
  url: string;
  /** CPU time redis-server has used so far, all threads, µs. */
  cpuMicros(): number;
  close(): void;
}

/** True when `redis-server` can be started (it is on PATH). */
export function hasRedisServer(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (chunk) => done(chunk.toString().startsWith('+PONG')));
  });
}

/** Starts the server (killed when the bench process exits, if `close` was not called first). */
export async function startBenchRedis(): Promise<BenchRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'paymount-bench-redis-'));
  const port = await freePort();
  const child: ChildProcess = spawn(
    'redis-server',
    [
      ...['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', ''],
      ...['--appendonly', 'yes', '--appendfsync', 'everysec', '--maxmemory-policy', 'noeviction'],
    ],
    { stdio: 'ignore' },
  );
  let fds: number[] = [];
  const close = () => {
    for (const fd of fds.splice(0)) closeSync(fd);
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  // A bench that ends abruptly must not leave the server behind.
  process.once('exit', close);
  const deadline = Date.now() + 10_000;
  while (!(await answersPing(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      close();
      throw new Error(`redis-server did not start on port ${port}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  // Its threads (the main one, which runs every command, and the background I/O ones) exist from the start.
  fds = readdirSync(`/proc/${child.pid}/task`).map((tid) => openSync(`/proc/${child.pid}/task/${tid}/schedstat`, 'r'));
  const buffer = Buffer.alloc(128);
  return {
    url: `redis://127.0.0.1:${port}`,
    cpuMicros() {
      let ns = 0;
      for (const fd of fds) {
        const length = readSync(fd, buffer, 0, buffer.length, 0);
        ns += Number(buffer.toString('latin1', 0, length).split(' ', 1)[0]);
      }
      return ns / 1e3;
    },
    close,
  };
}
