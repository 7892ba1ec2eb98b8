import { ConfigError, type ProviderError } from '../errors/index.js';
import type { StatementDownloadOptions, StatementKind, StatementRow } from './statement.js';
import type { PaymentStore } from './store.js';
import type { Channel, CheckoutResult, CoreRequest, CoreResponse, InAppBrowser, Logger, Order } from './types.js';

/**
 * The contract between the core and a provider. The core never imports a provider; providers
 * implement this and are handed to `createPayments` through their factory (`alipay({...})`).
 *
 * Providers speak in **trade numbers** (`tradeNo`: Alipay/WeChat `out_trade_no`, UnionPay
 * `orderId`), never in the host's order ids: one order may be checked out under several trade
 * numbers, and the core alone maps them back. See docs/architecture.md.
 */

/** What the core gives a provider once, when `createPayments` runs. */
export interface ProviderEnv {
  clock: () => Date;
  /** The public URL of the mount point, without a trailing slash. */
  publicUrl: string;
  store: PaymentStore;
  logger: Logger;
}

/**
 * What a provider factory (`alipay(…)`, `wechatpay(…)`, `unionpay(…)`) returns: a validated
 * configuration. Hand it to `createPayments` under its `id`.
 */
export interface ProviderDefinition {
  /** Route name: `/notify/<id>`. */
  readonly id: string;
  /**
   * True when the gateway is the provider's production one (real money): `createPayments` then
   * refuses a `publicUrl` the provider cannot reach or would notify over plain HTTP. Sandboxes,
   * test environments and gateway URLs of the host's are not live.
   */
  readonly live: boolean;
  /** @internal Turns the configuration into the provider the core drives. */
  setup(env: ProviderEnv): Provider;
}

/** What the core hands `Provider.checkout`. */
export interface CheckoutInput {
  /** The host's order, as `getOrder` returned it. */
  order: Order;
  /** The trade number of this attempt (the order id, or a retry number the core chose). */
  tradeNo: string;
  channel: Channel;
  /** Absolute URLs on the host, derived from `publicUrl`. */
  notifyUrl: string;
  refundNotifyUrl: string;
  returnUrl: string;
  /** Where a buyer who leaves the cashier without paying goes (Alipay `quit_url`). */
  resultUrl: string;
  /** The payer's IP, when checkout runs inside a request. */
  clientIp?: string;
  /** The payer's id under the channel's app (an OpenID), for `jsapi` and `mini`. */
  openid?: string;
  /** The record this provider stored at the previous checkout under the same trade number, if any. */
  record?: Record<string, string>;
}

/**
 * How a browser page hands a checkout result to the provider's in-app payment call. The core
 * serves a page in the buyer's language with a `#invoke` button, `data` as JSON in
 * `<script type="application/json" id="invoke-data">`, the `sources` scripts, then `script`
 * (all under the page's nonce). The script reads the data, pays at once and again when `#invoke`
 * is pressed, and sends the browser to the outcome URLs it carries.
 */
export interface InvokeScript {
  /** Plain JavaScript; it must not depend on anything but the data block and the page's `#invoke`. */
  script: string;
  /** What the script reads: serialised as JSON, never interpolated into code. */
  data: unknown;
  /** Absolute URLs of scripts to load first; the page may also connect to their origins. */
  sources?: readonly string[];
}

/** What `Provider.checkout` returns. */
export interface CheckoutOutput {
  result: CheckoutResult;
  /** Kept in the store with the attempt, handed back to query/refund/close. */
  record?: Record<string, string>;
  /** For a result a browser page must hand to an in-app call (`jsapi`): that page's script. */
  invoke?: InvokeScript;
}

/** What the core hands `Provider.browserCheckout`. */
export interface BrowserCheckoutInput {
  /** The order, loaded and checked: the caller may pay it, and it can be paid. */
  order: Order;
  /** `<publicUrl>/checkout/<id>/callback`, where a redirect of the provider's may come back. */
  callbackUrl: string;
  /** The request's `User-Agent`, `''` when it sent none. */
  userAgent: string;
}

/**
 * What a provider answers when it takes over a browser checkout: send the browser elsewhere (a
 * sign-in that names the payer), or check `orderId` out now on `channel`.
 */
export type BrowserStep =
  { type: 'redirect'; url: string } | { type: 'checkout'; orderId: string; channel: Channel; openid?: string };

/**
 * A merchant-id or app-id check that failed inside the provider (it knows its own config), or a
 * field paymount requires that a verified message lacks (`missing`): providers sign the sorted
 * `k=v&k=v` string of raw values, so a field folded into its neighbour's value keeps a signature
 * valid, and an absent field must be refused like one that differs (docs/after-payment.md).
 */
export interface ProviderMismatch {
  reason: 'merchant' | 'app' | 'currency' | 'missing';
  /** The field, as the provider names it (`seller_id`, `mch_id`, `merId`). Always set for `missing`. */
  field?: string;
  expected: string;
  actual: string;
}

/**
 * The mismatch of a verified message without `field`, which the provider always sends in this
 * kind of message. `expected` says what was expected there (the app id, "an amount"), for the log.
 */
export function missingField(field: string, expected: string): ProviderMismatch {
  return { reason: 'missing', field, expected, actual: '' };
}

/** A verified provider message, translated. `mismatch` is set when the provider's own config checks failed. */
export type ProviderEvent =
  | {
      type: 'paid';
      tradeNo: string;
      /** The host's order id, when the provider echoed it back in its signed passback field. */
      orderId?: string;
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
      tradeNo: string;
      orderId?: string;
      transactionId?: string;
      reason: string;
      raw: Record<string, unknown>;
      mismatch?: ProviderMismatch;
    }
  | {
      type: 'refunded';
      tradeNo: string;
      orderId?: string;
      refundId: string;
      providerRefundId?: string;
      /** Fen. */
      amount: number;
      status: 'success' | 'processing' | 'failed';
      raw: Record<string, unknown>;
      mismatch?: ProviderMismatch;
    }
  /** Verified, but nothing to do (e.g. a `WAIT_BUYER_PAY` notice). Acknowledged as success. */
  | { type: 'ignored'; reason: string; raw: Record<string, unknown> };

/** What the core tells the provider to acknowledge. */
export type AckOutcome = { ok: true } | { ok: false; status: number; message: string };

/** What a provider reads from the browser's return. */
export interface ReturnInfo {
  tradeNo: string;
  /** The host's order id, when the provider echoed it back (signed). */
  orderId?: string;
  /** What the (verified) return says; `failed` is final, anything else is settled by a query. */
  hint: 'paid' | 'failed' | 'unknown';
}

/** A provider's answer about one trade number, translated (amounts in fen). */
export interface TradeState {
  status: 'paid' | 'pending' | 'closed' | 'not_found' | 'refunded';
  tradeNo: string;
  transactionId?: string;
  /** Fen. */
  amount?: number;
  paidAt?: Date;
  payer?: string;
  channel?: Channel;
  raw: Record<string, unknown>;
  mismatch?: ProviderMismatch;
}

/** What the core hands `Provider.refund`: the order and the trade number that was paid. */
export interface ProviderRefundInput {
  order: Order;
  tradeNo: string;
  refundId: string;
  /** Fen. */
  amount: number;
  reason?: string;
  transactionId: string;
  record?: Record<string, string>;
  notifyUrl: string;
}

/** What the core hands `Provider.queryRefund`. */
export interface ProviderRefundQuery {
  order: Order;
  tradeNo: string;
  refundId: string;
  transactionId?: string;
  record?: Record<string, string>;
}

/** A refund as the provider reports it (amount in fen). */
export interface ProviderRefundResult {
  refundId: string;
  providerRefundId?: string;
  amount: number;
  status: 'success' | 'processing' | 'failed';
  raw: Record<string, unknown>;
}

/** A provider as the core drives it. */
export interface Provider {
  readonly id: string;
  /** Returns why `tradeNo` cannot be this provider's trade number, or `undefined` when it can. */
  checkTradeNo(tradeNo: string): string | undefined;
  /**
   * The channels this provider checks out on; the core refuses any other with a 400 naming
   * these. Without it, `checkout` sees every channel and refuses those it lacks itself.
   */
  readonly channels?: readonly Channel[];
  /**
   * In-app browsers this provider's cashier cannot run in. A checkout link opened in one answers
   * a page asking the buyer to open it in the phone's own browser, instead of a cashier the app
   * would block.
   */
  readonly unsupportedBrowsers?: readonly InAppBrowser[];
  /**
   * Whether a checkout on `channel` may reuse the trade number of the previous attempt, whose
   * record is given (default: yes). Return false where the provider refuses a trade number used
   * differently before (WeChat Pay: H5 then APP, or another payer; UnionPay: a front transaction
   * posted before). `openid` is this checkout's payer, when the channel has one.
   */
  reusesTradeNumber?(previous: Record<string, string>, channel: Channel, openid?: string): boolean;
  /**
   * Takes over `GET /checkout/<id>` for this browser: a redirect (the provider's sign-in, which
   * comes back to `input.callbackUrl`), a checkout on another channel, or `undefined` for the
   * default (`wap`). The core calls it only for an order the caller may pay.
   */
  browserCheckout?(input: BrowserCheckoutInput, req: CoreRequest): Promise<BrowserStep | undefined>;
  /**
   * Answers `GET /checkout/<id>/callback`, where a {@link Provider.browserCheckout} redirect comes
   * back. A `checkout` step is carried out as authorized: the provider vouches that the order is
   * one the core let the caller pay, so whatever it carried across the redirect must be signed
   * by it and expire.
   */
  browserCallback?(req: CoreRequest, input: { callbackUrl: string }): Promise<BrowserStep>;
  /**
   * Creates the payment under `input.tradeNo`. Providers that have a passback field (Alipay
   * `passback_params`, WeChat Pay `attach`, UnionPay `reqReserved`) put `input.order.id` in it and
   * report it back as `orderId` in events, so that a trade number resolves to its order even when
   * the store forgot it.
   */
  checkout(input: CheckoutInput): Promise<CheckoutOutput>;
  /**
   * Whether `error`, thrown by `checkout`, says the trade number was placed before with other
   * parameters (WeChat Pay "201 商户订单号重复", UnionPay 重复交易[2010002]). The core then takes the
   * order's next number: a store that lost the earlier attempt (a restarted memory store) cannot
   * know the number was used.
   */
  tradeNumberTaken?(error: ProviderError): boolean;
  /** Verify and translate a notify. Throws `SignatureError`/`RequestError`/`RawBodyError` on bad input. */
  parseNotify(req: CoreRequest, kind: 'payment' | 'refund'): Promise<ProviderEvent>;
  /** The exact acknowledgement this provider expects for a notify. */
  ack(outcome: AckOutcome, req: CoreRequest, kind: 'payment' | 'refund'): CoreResponse;
  /** Verify the browser's return (when the provider signs it) and name the trade number. */
  parseReturn(req: CoreRequest): Promise<ReturnInfo>;
  /** The state of the payment under `tradeNo`; `record` is that attempt's checkout record. */
  query(tradeNo: string, record?: Record<string, string>): Promise<TradeState>;
  /**
   * The state of a payment found by the provider's own transaction id, its `tradeNo` being the one
   * the provider names. Only for providers that cannot query a trade number without its checkout
   * record (UnionPay: orderId + txnTime); the core uses it when the store lost that record.
   */
  queryTransaction?(transactionId: string): Promise<TradeState>;
  /** Refunds (idempotent on `refundId`). */
  refund(input: ProviderRefundInput): Promise<ProviderRefundResult>;
  /** Where a refund stands. */
  queryRefund(input: ProviderRefundQuery): Promise<ProviderRefundResult>;
  /** Makes an unpaid trade number unpayable (a no-op where the provider has no close). */
  close(tradeNo: string, record?: Record<string, string>): Promise<void>;
  /** The statements {@link Provider.statement} can download (absent: none). */
  readonly statementKinds?: readonly StatementKind[];
  /**
   * Downloads the statement of `day` (`YYYY-MM-DD`, Beijing, checked by the core) and reads it
   * as it arrives. Throws `STATEMENT_NOT_READY` before the provider has made it and
   * `STATEMENT_EMPTY` when the provider says the day had no business. Refund rows name the host's
   * refund id where the provider's records know it.
   */
  statement?(day: string, kind: StatementKind, options: StatementDownloadOptions): AsyncIterable<StatementRow>;
  /**
   * The statement day an instant belongs to, `YYYY-MM-DD` (default: its Beijing calendar day).
   * UnionPay's clearing day runs from 23:00 Beijing time to 23:00.
   */
  statementDay?(at: Date): string;
}

/**
 * Runs a provider factory's validation so that each mistake names its full option path, the one
 * users write: `providers.alipay.alipayPublicKey: …`, not `alipayPublicKey: …`.
 */
export function resolveProviderOptions<T>(id: string, resolve: () => T): T {
  try {
    return resolve();
  } catch (error) {
    if (error instanceof ConfigError && !error.field.startsWith('providers.')) {
      throw new ConfigError(`providers.${id}.${error.field}`, error.problem, { cause: error });
    }
    throw error;
  }
}
