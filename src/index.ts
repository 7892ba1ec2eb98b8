/**
 * paymount: Alipay, WeChat Pay and UnionPay for mobile web pages and native apps, as one router.
 * This entry holds the framework-neutral core and the provider factories; the adapters live in
 * `paymount/express`, `paymount/koa` and `paymount/fetch`, the simulators in `paymount/sandbox`.
 *
 * @packageDocumentation
 */

// The router core and its operations.
export { createPayments, type Payments } from './core/payments.js';
export type { PaymentsOptions } from './core/config.js';
export type { CheckoutRequest } from './core/checkout.js';
export type { CheckoutLinkOptions } from './core/links.js';
export type { QueryOptions, QueryResult, RefundRequest } from './core/operations.js';
export type { SweepOptions, SweepSummary } from './core/sweep.js';
export type { Sweeper, SweeperOptions } from './core/sweeper.js';
export type {
  AmountDifference,
  MissingPayment,
  ReconcileOptions,
  ReconcileReport,
  ReconcileSummary,
  SettleOutcome,
  UnfulfilledPayment,
  UnknownRefund,
} from './core/reconcile.js';

// The buyer pages (the `pages` option): the model a `render` template receives.
export type {
  BuyerPage,
  ErrorPage,
  InAppPage,
  InvokePage,
  PageBase,
  PageBrand,
  PageErrorKind,
  PageLinks,
  PageLocale,
  PagesOptions,
  PageTexts,
  RedirectPage,
  ResultPage,
} from './core/pages/types.js';

// What hooks receive and return.
export type {
  ClosedEvent,
  HookContext,
  Hooks,
  MismatchEvent,
  PaidEvent,
  PaymentOutcome,
  RefundEvent,
} from './core/hooks.js';
export type { Channel, CheckoutResult, CoreRequest, CoreResponse, JsapiParams, Logger, Order } from './spi/types.js';
export type { HostLogger } from './core/logger.js';
export type { ProviderDefinition, ProviderMismatch } from './spi/provider.js';
export type {
  StatementDownloadOptions,
  StatementKind,
  StatementOptions,
  StatementProvider,
  StatementRow,
  StatementRowKind,
} from './spi/statement.js';

// Errors: every error paymount raises is a PaymountError with a code from one table.
export {
  ERROR_CODES,
  type PaymountErrorCode,
  ConfigError,
  PaymountError,
  ProviderError,
  RawBodyError,
  RequestError,
  SignatureError,
  StoreError,
} from './errors/index.js';

// Stores.
export type { EntryKind, PaymentStore } from './spi/store.js';
export { memoryStore, type MemoryStoreOptions } from './store/memory.js';

// Amounts.
export { fenToYuan, yuanToFen } from './wire/money.js';
export type { KeyInput } from './wire/keys.js';

// Provider factories: one line per provider.
export { alipay, type AlipayOptions } from './providers/alipay/index.js';
export {
  wechatpay,
  type WechatpayOptions,
  type WechatpayV2Options,
  type WechatpayV3Options,
} from './providers/wechatpay/index.js';
export { unionpay, type UnionpayOptions } from './providers/unionpay/index.js';
