import type { ProviderEvent } from '../spi/provider.js';

/**
 * Verified provider events once the core resolved their trade number to the host's order id:
 * what `apply` and the paths behind it (fulfil, closed, refunded) work on.
 */

/** Any event that changes an order. */
export type OrderEvent = Exclude<ProviderEvent, { type: 'ignored' }> & { orderId: string };
/** A verified payment. */
export type Payment = Extract<OrderEvent, { type: 'paid' }>;
/** A verified notice that a payment will not complete. */
export type Closure = Extract<OrderEvent, { type: 'closed' }>;
/** A refund result (notify or API answer). */
export type Refund = Extract<OrderEvent, { type: 'refunded' }>;
