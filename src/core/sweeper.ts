import type { CoreContext } from './context.js';
import { withLock } from './lock.js';
import { sweep, type SweepOptions, type SweepSummary } from './sweep.js';

/** Options of `payments.startSweeper`. */
export interface SweeperOptions extends SweepOptions {
  /** How often to sweep, in ms. Default 60 s. */
  everyMs?: number;
  /** Told the summary of every sweep this instance ran. */
  onSweep?: (summary: SweepSummary) => void;
}

/** A running sweeper. */
export interface Sweeper {
  /** Stops sweeping; resolves once a sweep in progress has finished. */
  stop(): Promise<void>;
}

/**
 * Sweeps every `everyMs`. Each sweep runs under a store lock, so that of several instances sharing
 * a store one sweeps at a time and the others skip that round.
 */
export function startSweeper(core: CoreContext, options: SweeperOptions = {}): Sweeper {
  const everyMs = options.everyMs ?? 60_000;
  let running: Promise<void> | undefined;
  let stopped = false;

  const tick = () => {
    if (running || stopped) return;
    running = (async () => {
      try {
        const ran = await withLock(core, 'sweep', () => sweep(core, options), 0);
        if (ran) {
          core.logger.info('sweep done', { ...ran.value });
          options.onSweep?.(ran.value);
        }
      } catch (error) {
        core.logger.error('sweep failed; the next one will try again', { error: String(error) });
      } finally {
        running = undefined;
      }
    })();
  };
  const timer = setInterval(tick, everyMs);
  // A sweeper alone must not keep a process alive that has nothing else to do.
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
