import type { Instance } from './cluster.js';
import type { Notify } from './notifies.js';
import { prepareRequest, RawPool } from './raw-http.js';

/**
 * Posts signed notifies (`notifies.ts`) to the instances as a provider would: once, then again
 * after each wait of the provider's retry schedule (scaled like the sandbox's, by `timeScale`)
 * while the answer is not the provider's acknowledgement or the connection died (a killed
 * instance), each retry to another instance than the last. Over keep-alive connections with a
 * minimal client (`raw-http.ts`): the sender's CPU per notify stays small next to the instances'.
 */

/** One attempt: when, to which instance, and the status or the error. */
export interface SentAttempt {
  at: number;
  instance: string;
  status?: number;
  error?: string;
}

/** A notify and every attempt made to deliver it. */
export interface Sending {
  notify: Notify;
  attempts: SentAttempt[];
  acknowledged: boolean;
  /** Acknowledged, or the schedule ran out, or the sender was stopped. */
  finished: boolean;
  /** The schedule ran out before an acknowledgement: the provider gave up. */
  gaveUp: boolean;
}

const pool = new RawPool();
const prepared = new WeakMap<Notify, Buffer>();

/** One POST of `notify`'s exact bytes to `origin`: its status and body, or a rejection when the connection fails. */
export function post(origin: string, notify: Notify): Promise<{ status: number; body: string }> {
  let request = prepared.get(notify);
  if (!request) {
    request = prepareRequest(notify.path, notify.headers, notify.body);
    prepared.set(notify, request);
  }
  return pool.send(Number(new URL(origin).port), request);
}

export class NotifySender {
  readonly sendings: Sending[] = [];
  private stopped = false;
  private readonly pending = new Set<Promise<void>>();
  private next = 0;

  /**
   * @param instances the instances that listen now (a provider reaches whichever the load balancer picks)
   * @param timeScale factor on the provider's schedule, as the sandbox's `timeScale`
   */
  constructor(
    private readonly instances: () => Instance[],
    private readonly timeScale: number,
  ) {}

  /** A listening instance other than `not` when there is one, round robin. */
  pick(not?: string): Instance | undefined {
    const ready = this.instances().filter((i) => i.ready);
    const others = ready.filter((i) => i.url !== not);
    const from = others.length > 0 ? others : ready;
    return from[this.next++ % Math.max(from.length, 1)];
  }

  /**
   * Sends `notify` and resolves once its first attempt was answered (or failed); retries go on in
   * the background until acknowledged, the schedule runs out or {@link stop}.
   */
  async send(notify: Notify): Promise<Sending> {
    const sending: Sending = { notify, attempts: [], acknowledged: false, finished: false, gaveUp: false };
    this.sendings.push(sending);
    const last = await this.attempt(sending, undefined);
    if (sending.acknowledged) {
      sending.finished = true;
      return sending;
    }
    const retries: Promise<void> = this.retry(sending, last).finally(() => this.pending.delete(retries));
    this.pending.add(retries);
    return sending;
  }

  /** Whether a delivery is still retrying. */
  get busy(): boolean {
    return this.pending.size > 0;
  }

  /** Stops every retry (at its next wait) and resolves when all have stopped. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.pending]);
  }

  private async retry(sending: Sending, last: string | undefined): Promise<void> {
    for (const wait of sending.notify.schedule) {
      if (this.stopped) break;
      await new Promise((resolve) => setTimeout(resolve, Math.round(wait * this.timeScale)));
      if (this.stopped) break;
      last = await this.attempt(sending, last);
      if (sending.acknowledged) break;
    }
    sending.gaveUp = !sending.acknowledged && !this.stopped;
    sending.finished = true;
  }

  /** One attempt to an instance other than `not`; returns the URL it went to. */
  private async attempt(sending: Sending, not: string | undefined): Promise<string | undefined> {
    const target = this.pick(not);
    const at = Date.now();
    if (!target) {
      sending.attempts.push({ at, instance: '-', error: 'no instance listening' });
      return undefined;
    }
    try {
      const answer = await post(target.url, sending.notify);
      sending.attempts.push({ at, instance: target.name, status: answer.status });
      if (sending.notify.isAck(answer.status, answer.body)) sending.acknowledged = true;
    } catch (error) {
      sending.attempts.push({ at, instance: target.name, error: (error as Error).message });
    }
    return target.url;
  }
}
