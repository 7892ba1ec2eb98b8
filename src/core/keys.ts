/**
 * Store keys and how long each kind of entry lives, in one place so that a shared store's contents
 * stay readable. What each entry holds is described in docs/state.md.
 */

export const DAY_MS = 24 * 60 * 60 * 1000;

export const keys = {
  /** A fulfilled provider transaction (the dedupe record of `onPaid`). */
  paid: (provider: string, transactionId: string) => `paymount:paid:${provider}:${transactionId}`,
  /** The first payment of an order at a provider: what refunds aim at. */
  settled: (provider: string, orderId: string) => `paymount:order:${provider}:${orderId}`,
  /** An order's checkout attempts at a provider: trade numbers and their provider records. */
  checkout: (provider: string, orderId: string) => `paymount:checkout:${provider}:${orderId}`,
  /** The claim of a trade number by an order. */
  trade: (provider: string, tradeNo: string) => `paymount:trade:${provider}:${tradeNo}`,
  /** The last final status reported to `onRefunded` for a refund. */
  refund: (provider: string, orderId: string, refundId: string) => `paymount:refund:${provider}:${orderId}:${refundId}`,
  /** The first payment of an order at any provider: a second one is a double payment. */
  orderPaid: (orderId: string) => `paymount:paid-order:${orderId}`,
  /** A full refund of the payment that stands for an order: the result page shows it refunded. */
  orderRefunded: (orderId: string) => `paymount:refunded-order:${orderId}`,
  /** A closed notice already reported to `onClosed`. */
  closed: (provider: string, id: string) => `paymount:closed:${provider}:${id}`,
  /** The refund of a double payment, `pending` until the provider accepted it. */
  duplicateRefund: (provider: string, transactionId: string) => `paymount:dup-refund:${provider}:${transactionId}`,
  /** What a refund id was first used for (order and amount), so a reuse for something else is refused. */
  refundId: (provider: string, refundId: string) => `paymount:refund-id:${provider}:${refundId}`,
  /** The payments fulfilled at a provider on one statement day: what reconcile expects the statement to list. */
  fulfilled: (provider: string, day: string) => `paymount:fulfilled:${provider}:${day}`,
  /** The index of checkout attempts not yet settled or closed: what the sweep looks at. */
  open: 'paymount:open',
  lock: (name: string) => `paymount:lock:${name}`,
};

/** Payment records outlive every retry window and a year of refunds. */
export const RECORD_TTL_MS = 400 * DAY_MS;
/** Checkout attempts: long enough for any cashier session and a late notify. */
export const CHECKOUT_TTL_MS = 30 * DAY_MS;
/** The per-day index of fulfilments: longer than the 3 months a WeChat Pay bill can be downloaded. */
export const FULFILLED_TTL_MS = 100 * DAY_MS;
