import * as api from './operations.js';
import { checkout, checkoutLink, type CheckoutRequest } from './checkout.js';
import type { CheckoutLinkOptions } from './links.js';
import { resolveConfig, type PaymentsOptions } from './config.js';
import type { CoreContext } from './context.js';
import { ConfigError } from '../errors/index.js';
import type { Provider } from '../spi/provider.js';
import { handleRequest, matchRoute } from './routes.js';
import { settle } from './settle.js';
import type { CheckoutResult, CoreRequest, CoreResponse } from '../spi/types.js';
import { memoryStoreWarning } from './memory-store-warning.js';
import { toLogger } from './logger.js';
import type { PaymentOutcome, RefundEvent } from './hooks.js';
import type { QueryResult } from './operations.js';
import { memoryStore } from '../store/memory.js';
import { guardedStore } from './guarded-store.js';
import { mountChecker } from './mount-check.js';
import { QueryCache } from './queries.js';
import { sweep, type SweepOptions, type SweepSummary } from './sweep.js';
import { startSweeper, type Sweeper, type SweeperOptions } from './sweeper.js';
import type { StatementOptions, StatementRow } from '../spi/statement.js';
import { statement } from './statement.js';
import { reconcile, type ReconcileOptions, type ReconcileReport } from './reconcile.js';

/**
 * The object `createPayments` returns: a request handler for adapters, and the same operations as
 * an API. `Req` is the framework's request type the hooks receive in `ctx.request`.
 */
export interface Payments<Req = unknown> {
  /** Largest body the routes accept, in bytes (adapters read bodies up to this). */
  readonly bodyLimit: number;
  /** How long adapters wait for a body, in ms. */
  readonly bodyTimeoutMs: number;
  /** The path of `publicUrl` (e.g. `/pay`, or `''` at the root): where adapters mount by default. */
  readonly mountPath: string;
  /** True when the router answers `method path` (relative to the mount); adapters pass everything else on. */
  matches(method: string, path: string): boolean;
  /** Answers a request, or resolves `null` when the route is not paymount's. Never throws. */
  handle(request: CoreRequest): Promise<CoreResponse | null>;
  /** Creates a payment for an order; the amount comes from `getOrder`. */
  checkout(input: CheckoutRequest<Req>): Promise<CheckoutResult>;
  /** Asks the provider for the order's state. Changes nothing. */
  query(provider: string, orderId: string, options?: api.QueryOptions): Promise<QueryResult>;
  /** Query, then fulfil if paid (once): for a host's reconcile job or a late notify. */
  settle(provider: string, orderId: string, options?: api.QueryOptions): Promise<PaymentOutcome>;
  /** Refunds part or all of a paid order, idempotent on `refundId`; a final result also reaches `onRefunded` once. */
  refund(input: api.RefundRequest): Promise<RefundEvent>;
  /** Asks the provider where a refund stands; a final result also reaches `onRefunded` once. */
  queryRefund(provider: string, orderId: string, refundId: string): Promise<RefundEvent>;
  /**
   * The path of a signed link that lets its holder check out `orderId` with `provider` until it
   * expires (default 24 h), without `authorizeCheckout`. Needs `linkSecret`.
   *
   * @example
   * res.redirect(payments.checkoutLink(order.id, 'alipay', { expiresIn: 900 }))
   */
  checkoutLink(orderId: string, provider: string, options?: CheckoutLinkOptions): string;
  /** Closes an unpaid order at the provider. */
  close(provider: string, orderId: string): Promise<void>;
  /**
   * Asks the providers about checkout attempts still open after `olderThan` and fulfils the paid
   * ones (once), closing those past their time: what finds a payment whose notify was lost.
   */
  sweep(options?: SweepOptions): Promise<SweepSummary>;
  /** Sweeps every `everyMs` (default 60 s); of several instances sharing a store, one at a time. */
  startSweeper(options?: SweeperOptions): Sweeper;
  /**
   * The provider's statement (对账单) of `day`, a `YYYY-MM-DD` Beijing day that is over, read as it
   * downloads: one normalised row per payment and refund (`kind: 'trades'`, default) or account
   * movement (`'funds'`), each with the host's `orderId` mapped back. A day without business has
   * no rows; a statement the provider has not made yet throws `STATEMENT_NOT_READY` (retryable).
   * Totals and digests are checked at the end: the iteration throws `STATEMENT_INVALID` when they
   * do not hold, so act on the rows once it completes. See docs/reconcile.md.
   *
   * @example
   * for await (const row of payments.statement('alipay', '2024-03-10')) console.log(row.kind, row.orderId, row.amount);
   */
  statement(provider: string, day: string, options?: StatementOptions): AsyncIterable<StatementRow>;
  /**
   * Compares the provider's trade statement of `day` with paymount's records: payments never
   * fulfilled, fulfilled payments the statement lacks, amount differences, unknown refunds. With
   * `settle: true` the unfulfilled payments are fulfilled (`onPaid`) and the unknown refunds
   * reported (`onRefunded`), once each however often it runs. See docs/reconcile.md.
   *
   * @example
   * const report = await payments.reconcile('wechatpay', '2024-03-10', { settle: true });
   */
  reconcile(provider: string, day: string, options?: ReconcileOptions): Promise<ReconcileReport>;
}

/**
 * Validates the whole configuration (throwing one {@link ConfigError} per mistake) and returns
 * the payments router core. Mount it with `expressPayments`, `koaPayments` or `fetchPayments`.
 *
 * @example
 * const payments = createPayments<express.Request>({
 *   publicUrl: 'https://shop.example.com/pay',
 *   providers: { alipay: alipay({ appId, privateKey, alipayPublicKey }) },
 *   getOrder: (id) => db.orders.find(id),
 *   onPaid: (payment) => db.orders.markPaid(payment.orderId, payment.idempotencyKey),
 * });
 * app.use('/pay', expressPayments(payments));
 */
export function createPayments<Req = unknown>(options: PaymentsOptions<Req>): Payments<Req> {
  const config = resolveConfig(options);
  const clock = options.clock ?? (() => new Date());
  // The default memory store can neither fail nor hang; a host's store is guarded against both.
  const store = options.store
    ? guardedStore(options.store, config.storeTimeoutMs)
    : memoryStore({ now: () => clock().getTime() });
  const logger = toLogger(options.logger);
  const providers = new Map<string, Provider>();
  for (const [name, definition] of Object.entries(options.providers)) {
    try {
      providers.set(name, definition.setup({ clock, publicUrl: config.publicUrl, store, logger }));
    } catch (error) {
      if (error instanceof ConfigError) {
        throw new ConfigError(`providers.${name}.${error.field}`, error.problem, { cause: error });
      }
      throw error;
    }
  }
  const memoryWarning = options.store ? undefined : memoryStoreWarning(config.publicUrl, options.providers);
  if (memoryWarning) logger.warn(memoryWarning);
  // The core hands hooks whatever request the adapter saw; `Req` only types what the host reads.
  const queries = new QueryCache();
  const core: CoreContext = { config, hooks: options, providers, store, clock, logger, queries };

  const checkMount = mountChecker(core);
  return {
    bodyLimit: config.bodyLimit,
    bodyTimeoutMs: config.bodyTimeoutMs,
    mountPath: config.publicPath,
    matches: (method, path) => matchRoute(method.toUpperCase(), path) !== undefined,
    handle: (request) => {
      checkMount(request);
      return handleRequest(core, request);
    },
    checkout: (input) => checkout(core, input),
    query: (provider, orderId, options) => api.query(core, provider, orderId, options),
    settle: (provider, orderId, options) =>
      settle(core, provider, orderId, { provider, route: 'settle' }, options?.transactionId),
    refund: (input) => api.refund(core, input),
    queryRefund: (provider, orderId, refundId) => api.queryRefund(core, provider, orderId, refundId),
    close: (provider, orderId) => api.close(core, provider, orderId),
    checkoutLink: (orderId, provider, options) => checkoutLink(core, orderId, provider, options),
    sweep: (options) => sweep(core, options),
    startSweeper: (options) => startSweeper(core, options),
    statement: (provider, day, options) => statement(core, provider, day, options),
    reconcile: (provider, day, options) => reconcile(core, provider, day, options),
  };
}
