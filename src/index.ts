/**
 * paymount: Alipay, WeChat Pay and UnionPay for mobile web pages and native apps, as one router.
 * This entry holds the framework-neutral core and the provider factories; the adapters live in
 * `paymount/express`, `paymount/koa` and `paymount/fetch`, the simulators in `paymount/sandbox`.
 */
export { createPayments, type Payments } from './core/payments.js';
export type { PaymentsOptions } from './core/config.js';
export type { CheckoutRequest } from './core/checkout.js';
export type { RefundRequest } from './core/api.js';
export type * from './core/types.js';
export type * from './core/provider.js';
export { PaymountError, ConfigError, RequestError, SignatureError, RawBodyError, ProviderError } from './core/errors.js';
export { memoryStore, type MemoryStoreOptions } from './store/memory.js';
export type { PaymentStore } from './store/types.js';
export { fenToYuan, yuanToFen } from './core/money.js';
export { alipay, type AlipayOptions } from './providers/alipay/index.js';
// provider factories: one line per provider
export { wechatpay, type WechatpayOptions } from './providers/wechatpay/index.js';
export { unionpay, type UnionpayOptions } from './providers/unionpay/index.js';
