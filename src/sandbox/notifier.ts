import { request } from 'undici';
import type { DeliverInput, Delivery, Notifier, NotificationMatch } from './types.js';

/**
 * Delivers notifications like the providers do: at once, then after each wait of the provider's
 * retry schedule (scaled by `timeScale`), until the merchant answers with the exact success ack.
 */
export function createNotifier(
  timeScale: number,
  clock: () => Date,
  log: Delivery[],
): Notifier & {
  close(): void;
  pending: Set<Promise<void>>;
  drop(match: NotificationMatch, times: number): void;
} {
  let closed = false;
  const drops: { match: NotificationMatch; left: number }[] = [];
  let counter = 0;
  const timers = new Set<NodeJS.Timeout>();
  const pending = new Set<Promise<void>>();
  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(
        () => {
          timers.delete(timer);
          resolve();
        },
        Math.max(0, Math.round(ms * timeScale)),
      );
      timers.add(timer);
    });

  async function run(delivery: Delivery, input: DeliverInput): Promise<void> {
    let headers = input.headers;
    let body = input.body;
    for (let attempt = 0; attempt <= input.schedule.length && !closed; attempt++) {
      if (attempt > 0) {
        const delay = input.schedule[attempt - 1];
        if (delay === undefined) throw new Error(`no retry delay for attempt ${attempt}`);
        await wait(delay);
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- close() may run during the wait
        if (closed) break;
        if (input.rebuild) ({ headers, body } = input.rebuild());
      }
      const at = clock();
      try {
        const res = await request(input.url, {
          method: 'POST',
          headers,
          body,
          headersTimeout: 10_000,
          bodyTimeout: 10_000,
        });
        const text = await res.body.text();
        delivery.attempts.push({ at, status: res.statusCode, body: text });
        if (input.isAck(res.statusCode, text)) {
          delivery.acknowledged = true;
          break;
        }
      } catch (error) {
        delivery.attempts.push({ at, error: (error as Error).message });
      }
    }
    delivery.finished = true;
  }

  return {
    pending,
    deliver(input) {
      const delivery: Delivery = {
        id: `${input.provider}-${++counter}`,
        provider: input.provider,
        kind: input.kind,
        url: input.url,
        orderId: input.orderId,
        attempts: [],
        acknowledged: false,
        finished: false,
      };
      log.push(delivery);
      const drop = drops.find(
        (d) => d.left > 0 && d.match({ provider: input.provider, kind: input.kind, orderId: input.orderId }),
      );
      if (drop) {
        // Lost for good: the merchant never hears of it, as when its notify URL was unreachable for
        // the provider's whole retry schedule.
        drop.left--;
        delivery.dropped = true;
        delivery.finished = true;
        return delivery;
      }
      const done = run(delivery, input).finally(() => pending.delete(done));
      pending.add(done);
      return delivery;
    },
    drop(match, times) {
      drops.push({ match, left: times });
    },
    close() {
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
}
