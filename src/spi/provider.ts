import type { PaymentStore } from './store.js';
import type { Channel, CheckoutResult, CoreRequest, CoreResponse, Logger, Order } from './types.js';

/**
 * The contract between the core and a provider. The core never imports a provider; providers
 * implement this and are handed to `createPayments` through their factory (`alipay({...})`).
 */

/** What the core gives a provider once, when `createPayments` runs. */
export interface ProviderEnv {
  clock: () => Date;
  /** The public URL of the mount point, without a trailing slash. */
  publicUrl: string;
  store: PaymentStore;
  logger: Logger;
}

/** What a provider factory returns: a validated configuration that becomes a provider on setup. */
export interface ProviderDefinition {
  /** Route name: `/notify/<id>`. */
  readonly id: string;
  setup(env: ProviderEnv): Provider;
}

/** What the core hands `Provider.checkout`. */
export interface CheckoutInput {
  /** The host's order, with `id` replaced by the trade number of this attempt. */
  order: Order;
  channel: Channel;
  /** Absolute URLs on the host, derived from `publicUrl`. */
  notifyUrl: string;
  refundNotifyUrl: string;
  returnUrl: string;
  /** The payer's IP, when checkout runs inside a request. */
  clientIp?: string;
  /** The record this provider stored at the previous checkout of the same order, if any. */
  record?: Record<string, string>;
}

/** What `Provider.checkout` returns. */
export interface CheckoutOutput {
  result: CheckoutResult;
  /** Kept in the store under the order, handed back to query/refund/close/return. */
  record?: Record<string, string>;
}

/** A verified notify, translated. `mismatch` is set when the provider's own config checks failed. */
export type NotifyEvent =
  | {
      type: 'paid';
      orderId: string;
      transactionId: string;
      /** Fen. */
      amount: number;
      paidAt: Date;
      channel?: Channel;
      payer?: string;
      raw: Record<string, unknown>;
      mismatch?: ProviderMismatch;
    }
  | {
      type: 'closed';
      orderId: string;
      transactionId?: string;
      reason: string;
      raw: Record<string, unknown>;
      mismatch?: ProviderMismatch;
    }
  | {
      type: 'refunded';
      orderId: string;
      refundId: string;
      providerRefundId?: string;
      amount: number;
      status: 'success' | 'processing' | 'failed';
      raw: Record<string, unknown>;
      mismatch?: ProviderMismatch;
    }
  /** Verified, but nothing to do (e.g. a `WAIT_BUYER_PAY` notice). Acknowledged as success. */
  | { type: 'ignored'; reason: string; raw: Record<string, unknown> };

/** A merchant-id or app-id check that failed inside the provider (it knows its own config). */
export interface ProviderMismatch {
  reason: 'merchant' | 'app' | 'currency';
  expected: string;
  actual: string;
}

/** What the core tells the provider to acknowledge. */
export type AckOutcome = { ok: true } | { ok: false; status: number; message: string };

/** What a provider reads from the browser's return. */
export interface ReturnInfo {
  orderId: string;
  /** What the (verified) return says; `failed` is final, anything else is settled by a query. */
  hint: 'paid' | 'failed' | 'unknown';
}

/** A provider's answer about one trade number, translated (amounts in fen). */
export interface QueryResult {
  status: 'paid' | 'pending' | 'closed' | 'not_found' | 'refunded';
  orderId: string;
  transactionId?: string;
  /** Fen. */
  amount?: number;
  paidAt?: Date;
  payer?: string;
  channel?: Channel;
  raw: Record<string, unknown>;
  mismatch?: ProviderMismatch;
}

/** What the core hands `Provider.refund`: the order under the trade number that was paid. */
export interface ProviderRefundInput {
  order: Order;
  refundId: string;
  /** Fen. */
  amount: number;
  reason?: string;
  transactionId: string;
  record?: Record<string, string>;
  notifyUrl: string;
}

/** A refund as the provider reports it (amount in fen). */
export interface ProviderRefundResult {
  refundId: string;
  providerRefundId?: string;
  amount: number;
  status: 'success' | 'processing' | 'failed';
  raw: Record<string, unknown>;
}

/**
 * A provider as the core drives it. Every `orderId` a provider sees or reports is its trade
 * number (the host's order id, or `<id>R<n>` for a retry); the core maps it back.
 */
export interface Provider {
  readonly id: string;
  /** Returns why `orderId` cannot be this provider's trade number, or `undefined` when it can. */
  checkOrderId(orderId: string): string | undefined;
  /**
   * Whether a checkout on `channel` may reuse the trade number of the previous attempt, whose
   * record is given (default: yes). Return false where the provider refuses a trade number used
   * differently before (WeChat Pay: H5 then APP; UnionPay: a front transaction posted before).
   */
  reusesTradeNumber?(previous: Record<string, string>, channel: Channel): boolean;
  /** Creates the payment. `input.order.id` is the trade number to use (see `reusesTradeNumber`). */
  checkout(input: CheckoutInput): Promise<CheckoutOutput>;
  /** Verify and translate a notify. Throws `SignatureError`/`RequestError`/`RawBodyError` on bad input. */
  parseNotify(req: CoreRequest, kind: 'payment' | 'refund'): Promise<NotifyEvent>;
  /** The exact acknowledgement this provider expects for a notify. */
  ack(outcome: AckOutcome, req: CoreRequest, kind: 'payment' | 'refund'): CoreResponse;
  /** Verify the browser's return (when the provider signs it) and name the order. */
  parseReturn(req: CoreRequest): Promise<ReturnInfo>;
  /** The state of the payment under trade number `orderId`; `record` is that attempt's checkout record. */
  query(orderId: string, record?: Record<string, string>): Promise<QueryResult>;
  /** Refunds (idempotent on `refundId`). */
  refund(input: ProviderRefundInput): Promise<ProviderRefundResult>;
  /** Where a refund stands. */
  queryRefund(input: {
    order: Order;
    refundId: string;
    transactionId?: string;
    record?: Record<string, string>;
  }): Promise<ProviderRefundResult>;
  /** Makes an unpaid trade number unpayable (a no-op where the provider has no close). */
  close(orderId: string, record?: Record<string, string>): Promise<void>;
}
