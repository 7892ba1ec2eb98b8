import type { Channel, Order } from '../spi/types.js';

/**
 * Context handed to every hook. `Req` is the framework's request type when the host names it
 * (`createPayments<express.Request>(…)`, `createPayments<Koa.Context>(…)`), else `unknown`.
 */
export interface HookContext<Req = unknown> {
  provider: string;
  /** Which route (or API call) triggered the hook: `checkout`, `notify`, `return`, `settle`, … */
  route: string;
  /** The framework's own request object, when the hook runs inside a request. */
  request?: Req;
  /** The id paymount logs this request under (the `X-Request-Id` it was sent, else its own). */
  requestId?: string;
}

/** A payment the provider confirmed, after signature, merchant and amount checks. */
export interface PaidEvent {
  provider: string;
  channel?: Channel;
  orderId: string;
  /** The provider's transaction id, always a string (WeChat's are 28 digits). */
  transactionId: string;
  /** Fen. Equal to the order's amount (checked). */
  amount: number;
  currency: 'CNY';
  paidAt: Date;
  payer?: string;
  /** The verified fields as the provider sent them. */
  raw: Record<string, unknown>;
  /** `provider:transactionId`: make `onPaid` idempotent on this. */
  idempotencyKey: string;
  /**
   * Set when the order was already paid by another transaction (another attempt, or another
   * provider): this payment is the buyer paying twice. With `duplicatePayments: 'refund'`,
   * paymount refunds it in full and `onRefunded` hears of it. See docs/after-payment.md.
   */
  duplicateOf?: { provider: string; transactionId: string };
}

/** A refund the provider reported on (notify) or answered (API). */
export interface RefundEvent {
  provider: string;
  orderId: string;
  /** The host's refund id (Alipay `out_request_no`, WeChat `out_refund_no`, UnionPay `orderId`). */
  refundId: string;
  providerRefundId?: string;
  amount: number;
  status: 'success' | 'processing' | 'failed';
  raw: Record<string, unknown>;
  idempotencyKey: string;
}

/** A verified notice that a payment will not complete (closed, cancelled, failed). */
export interface ClosedEvent {
  provider: string;
  orderId: string;
  transactionId?: string;
  reason: string;
  raw: Record<string, unknown>;
}

/**
 * A verified message that paymount refused to fulfil: unknown order, amount/merchant/app/currency
 * mismatch, or a field the provider always sends that is missing (`missing`, the field named in
 * `field`).
 */
export interface MismatchEvent {
  provider: string;
  orderId: string;
  transactionId?: string;
  reason: 'unknown_order' | 'amount' | 'merchant' | 'app' | 'currency' | 'missing';
  /** The provider's name of the field that differs or is missing (`seller_id`, `mch_id`, `merId`), when known. */
  field?: string;
  message: string;
  expected?: string | number;
  actual?: string | number;
  raw: Record<string, unknown>;
}

/**
 * The state of an order as the buyer's browser comes back: `paid`, `pending` (not confirmed yet),
 * `closed` (can no longer be paid), `failed` (the cashier or the bank declined), `cancelled` (the
 * buyer left the cashier), `refunded` (the payment was refunded in full).
 */
export type PaymentOutcome = 'paid' | 'pending' | 'closed' | 'failed' | 'cancelled' | 'refunded';

/** Functions the host supplies; paymount calls them and nothing else touches the host's data. */
export interface Hooks<Req = unknown> {
  /** Look an order up. Return `null` or `undefined` when it does not exist. */
  getOrder(orderId: string, ctx: HookContext<Req>): Promise<Order | null | undefined> | Order | null | undefined;
  /** Fulfil the order. Called once per provider transaction in normal operation; be idempotent on `idempotencyKey`. */
  onPaid(payment: PaidEvent, ctx: HookContext<Req>): Promise<void> | void;
  onRefunded?(refund: RefundEvent, ctx: HookContext<Req>): Promise<void> | void;
  onClosed?(event: ClosedEvent, ctx: HookContext<Req>): Promise<void> | void;
  onMismatch?(event: MismatchEvent, ctx: HookContext<Req>): Promise<void> | void;
  /**
   * Where the browser lands after `/return`, and after `/result` (where a buyer who leaves a
   * cashier goes, with `cancelled`). Must be a path or a URL on the host's own origin.
   */
  resultUrl?(order: Order, outcome: PaymentOutcome): Promise<string> | string;
  /** May the current user pay this order? Return false to answer 403. */
  authorizeCheckout?(order: Order, ctx: HookContext<Req>): Promise<boolean> | boolean;
}
