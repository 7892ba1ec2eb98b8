import type { Variant, VariantCounts } from './protocol.js';

/**
 * Server CPU per request, by variant, from one process serving every variant at once. At each
 * request start the server reads its process CPU and wall clocks; the slice up to the next start
 * is that request's work (a notify is handled to its response before the event loop reads the
 * next request: nothing in these routes waits on a timer, the network or the thread pool).
 *
 * A slice counts, as in the in-process harness, when the server ran all through it and through the
 * slice before (wall time at most GAP_US ahead of CPU time: no other process took the core, no idle
 * wait for the load generator) and the slice before served the same variant, so the caches hold
 * this variant's working set and not another's.
 */

const GAP_US = 50;

export class Slices {
  private counts = new Map<Variant, VariantCounts>();
  private measuring = false;
  private last: { variant?: Variant; cpu: number; wall: number } = { cpu: 0, wall: 0 };
  private previous: { variant?: Variant; clean: boolean } = { clean: false };

  begin(): void {
    this.counts.clear();
    this.measuring = true;
  }

  end(): Partial<Record<Variant, VariantCounts>> {
    this.measuring = false;
    return Object.fromEntries(this.counts);
  }

  private of(variant: Variant): VariantCounts {
    let c = this.counts.get(variant);
    if (!c) this.counts.set(variant, (c = { requests: 0, cpuUs: 0, counted: 0, countedCpuUs: 0, paid: 0 }));
    return c;
  }

  /** A new payment was fulfilled for an order of `variant`'s pool. */
  paid(variant: Variant): void {
    if (this.measuring) this.of(variant).paid++;
  }

  /** A request for `variant` starts: closes the slice of the request before. */
  started(variant: Variant): void {
    const usage = process.cpuUsage();
    const cpu = usage.user + usage.system;
    const wall = Number(process.hrtime.bigint()) / 1e3;
    const slice = this.last;
    if (slice.variant !== undefined) {
      const spent = cpu - slice.cpu;
      const clean = wall - slice.wall - spent <= GAP_US;
      if (this.measuring) {
        const c = this.of(slice.variant);
        c.requests++;
        c.cpuUs += spent;
        if (clean && this.previous.clean && this.previous.variant === slice.variant) {
          c.counted++;
          c.countedCpuUs += spent;
        }
      }
      this.previous = { variant: slice.variant, clean };
    }
    this.last = { variant, cpu, wall };
  }
}
