import type { Connection } from './redis-connection.js';

/**
 * Follows the client's connection events: remembers why Redis was last unreachable (for error
 * messages), warns once per outage and once when it ends, and wakes the calls waiting for the
 * client to be ready again.
 *
 * Listening to `error` is also what keeps an outage from crashing the process: a node-redis client
 * with no `error` listener throws the error, as any Node.js EventEmitter does
 * (https://github.com/redis/node-redis#events); ioredis prints it as unhandled.
 */
export class Health {
  /** Why the connection last failed, while it is failing. */
  lastError: string | undefined;
  private down = false;
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly connection: Connection,
    warn: (message: string) => void,
  ) {
    connection.on('error', (error) => {
      this.lastError = describe(error);
      if (this.down) return;
      this.down = true;
      warn(`connection to Redis lost (${this.lastError}); store calls fail with StoreError until it is back`);
    });
    connection.on('ready', () => {
      if (this.down) warn('connection to Redis is back');
      this.down = false;
      this.lastError = undefined;
      for (const wake of this.waiters) wake();
      this.waiters.clear();
    });
  }

  /** Resolves when the client can send (at once when it can now), or never when `signal` aborts first. */
  whenReady(signal: AbortSignal): Promise<void> {
    if (this.connection.state() === 'ready' || !this.connection.announcesReady) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const wake = () => {
        signal.removeEventListener('abort', abort);
        resolve();
      };
      const abort = () => {
        this.waiters.delete(wake);
        reject(signal.reason);
      };
      this.waiters.add(wake);
      signal.addEventListener('abort', abort, { once: true });
    });
  }
}

/** An error's message, with the code of a socket error (`ECONNREFUSED`) when the message lacks it. */
export function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  const message = error.message || error.name;
  return typeof code === 'string' && !message.includes(code) ? `${code}: ${message}` : message;
}
