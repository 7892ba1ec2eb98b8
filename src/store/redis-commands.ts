import { StoreError } from '../errors/index.js';
import type { Command, Connection } from './redis-connection.js';
import { closed, failure, timeout, type FailureContext } from './redis-errors.js';
import type { Health } from './redis-health.js';
import type { Script } from './redis-scripts.js';

/** Sends commands and scripts, each bounded by the store's timeout, each failure a StoreError. */
export interface Commands {
  run(args: string[]): Promise<unknown>;
  /** Runs `script` on `key` by SHA-1, sending its source only when the server answers `NOSCRIPT`. */
  script(script: Script, name: string, key: string, args: string[]): Promise<unknown>;
}

export function commands(connection: Connection, health: Health, timeoutMs: number): Commands {
  const context = (command: string): FailureContext => ({
    command,
    library: connection.library,
    timeoutMs,
    lastError: health.lastError,
    state: connection.state(),
  });

  /**
   * Runs `work` with a deadline. Both clients queue commands while they reconnect and neither bounds
   * that wait by default, so the deadline is the store's own: on expiry the caller gets a StoreError
   * at once, the signal withdraws what the client still queues (node-redis), and a late outcome of
   * `work` is dropped (caught, so that it is never an unhandled rejection).
   */
  async function bounded(command: string, work: (signal: AbortSignal) => Promise<unknown>): Promise<unknown> {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(timeout(context(command)));
        controller.abort();
      }, timeoutMs);
    });
    const pending = (async () => {
      if (connection.state() === 'closed') throw closed(context(command));
      await health.whenReady(controller.signal);
      return work(controller.signal);
    })();
    pending.catch(() => undefined);
    try {
      return await Promise.race([pending, expired]);
    } catch (error) {
      throw error instanceof StoreError ? error : failure(error, context(command));
    } finally {
      clearTimeout(timer);
    }
  }

  const send = (args: string[], signal: AbortSignal) => connection.send(command(args), signal);

  return {
    run: (args) => bounded(args.slice(0, 2).join(' '), (signal) => send(args, signal)),
    script: (script, name, key, args) =>
      bounded(`${name} ${key}`, async (signal) => {
        try {
          return await send(['EVALSHA', script.sha, '1', key, ...args], signal);
        } catch (error) {
          if (!(error instanceof Error && error.message.startsWith('NOSCRIPT'))) throw error;
          // EVAL also caches the script, so the next EVALSHA finds it (on this node, for a cluster).
          return send(['EVAL', script.source, '1', key, ...args], signal);
        }
      }),
  };
}

/** Every command the store sends names its key second, except scripts (fourth) and CONFIG (no key). */
function command(args: string[]): Command {
  if (args[0] === 'CONFIG') return { args, key: undefined };
  return { args, key: args[0] === 'EVALSHA' || args[0] === 'EVAL' ? args[3] : args[1] };
}
