import type { Provider, TradeState } from '../spi/provider.js';

/**
 * Asks a provider about one trade number at most once per second per process, and lets
 * concurrent askers share one call: a buyer reloading `/return`, or anonymous traffic on it, never
 * multiplies gateway calls (each costs a signature and a round trip, and providers rate-limit).
 */
export class QueryCache {
  private readonly recent = new Map<string, { at: number; answer: Promise<TradeState> }>();

  constructor(private readonly ttlMs = 1000) {}

  query(provider: Provider, tradeNo: string, record: Record<string, string> | undefined): Promise<TradeState> {
    const key = `${provider.id}\n${tradeNo}`;
    const now = Date.now();
    const hit = this.recent.get(key);
    if (hit && now - hit.at < this.ttlMs) return hit.answer;
    if (this.recent.size > 10_000) this.prune(now);
    const answer = provider.query(tradeNo, record);
    this.recent.set(key, { at: now, answer });
    // A failed query is not remembered: the next asker tries again.
    answer.catch(() => {
      if (this.recent.get(key)?.answer === answer) this.recent.delete(key);
    });
    return answer;
  }

  /** Forgets what is known about a trade number (after a notify changed it). */
  forget(provider: string, tradeNo: string): void {
    this.recent.delete(`${provider}\n${tradeNo}`);
  }

  private prune(now: number): void {
    for (const [key, hit] of this.recent) if (now - hit.at >= this.ttlMs) this.recent.delete(key);
  }
}
