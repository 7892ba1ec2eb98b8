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
   * at once, and a late outcome of `work` is dropped (handled, so never an unhandled rejection).
   *
   * A call that finds the client reconnecting waits for it to be ready, with an AbortSignal that the
   * deadline fires: it ends the wait and withdraws the command from node-redis's queue should it get
   * there. A call on a ready client, nearly every call, creates no signal: an AbortController costs
   * more than everything else the store does around a command.
   */
  function bounded(command: string, work: (signal: AbortSignal | undefined) => Promise<unknown>): Promise<unknown> {
    return new Promise((resolve, reject) => {
      let controller: AbortController | undefined;
      const timer = setTimeout(() => {
        reject(timeout(context(command)));
        controller?.abort();
      }, timeoutMs);
      const start = async () => {
        const state = connection.state();
        if (state === 'closed') throw closed(context(command));
        if (state === 'reconnecting') {
          controller = new AbortController();
          await health.whenReady(controller.signal);
        }
        return work(controller?.signal);
      };
      start().then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error instanceof StoreError ? error : failure(error, context(command)));
        },
      );
    });
  }

  const send = (args: string[], signal: AbortSignal | undefined) => connection.send(command(args), signal);

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
