/** The HTTP variants, how requests reach them, and the ratios between them. */
import { NOTIFY_PATH } from '../alipay-input.js';

export const VARIANTS = [
  'express-plain',
  'express-verify',
  'express-paymount',
  'express-paymount-distinct',
  'express-paymount-redis',
  'express-alipay-sdk',
  'koa-plain',
  'koa-verify',
  'koa-paymount',
  'koa-paymount-distinct',
  'koa-paymount-redis',
] as const;

export type Variant = (typeof VARIANTS)[number];

/** The variants that get a new, never-paid notify on every request. */
export const DISTINCT: readonly Variant[] = [
  'express-paymount-distinct',
  'koa-paymount-distinct',
  'express-paymount-redis',
  'koa-paymount-redis',
];

/** The variants whose paymount runs on the Redis store (`redisStore` over a redis-server of the bench's own). */
export const ON_REDIS: readonly Variant[] = ['express-paymount-redis', 'koa-paymount-redis'];

/**
 * Every variant is served by one server on one port; the first path segment names the variant and
 * is cut off before the variant's app sees the request, so each app still answers `NOTIFY_PATH`.
 */
export const variantPath = (variant: Variant): string => `/${variant}${NOTIFY_PATH}`;

/** What the variant apps are built from (throwaway keys made at bench start). */
export interface ServerConfig {
  variants: Variant[];
  appPrivatePem: string;
  alipayPublicPem: string;
  /** The order every "same notify" request pays. */
  orderId: string;
  /** Distinct notifies pre-signed per distinct variant: orders `poolOrderId(variant, 0 … poolSize-1)`. */
  poolSize: number;
}

/**
 * The order id of the i-th pre-signed notify of a distinct variant (a valid Alipay out_trade_no); `S` marks
 * the Redis-store variants (not `R`, which would read as a retry's trade number, `<id>R<n>`).
 */
export const poolOrderId = (variant: Variant, i: number): string =>
  `${variant.startsWith('koa') ? 'K' : 'E'}${ON_REDIS.includes(variant) ? 'S' : ''}${String(i).padStart(7, '0')}`;

/** What the report calls each variant. */
export const VARIANT_LABELS: Record<Variant, string> = {
  'express-plain': 'Express 5: urlencoded + route answering `success` (no verify)',
  'express-verify': 'Express 5: urlencoded + bare route, 1 verify',
  'express-paymount': 'Express 5: paymount notify route, same notify (dedupe hit)',
  'express-paymount-distinct': 'Express 5: paymount notify route, distinct notifies',
  'express-paymount-redis': 'Express 5: paymount notify route, distinct notifies, Redis store',
  'express-alipay-sdk': 'Express 5: urlencoded + alipay-sdk `checkNotifySignV2`',
  'koa-plain': 'Koa 3: @koa/bodyparser + @koa/router, no verify',
  'koa-verify': 'Koa 3: bodyparser + router, bare route, 1 verify',
  'koa-paymount': 'Koa 3: paymount notify route, same notify (dedupe hit)',
  'koa-paymount-distinct': 'Koa 3: paymount notify route, distinct notifies',
  'koa-paymount-redis': 'Koa 3: paymount notify route, distinct notifies, Redis store',
};

/** The ratios of the HTTP table: [subject, baseline, target?]. */
export const HTTP_RATIOS: readonly (readonly [Variant, Variant, number?])[] = [
  ['express-paymount', 'express-verify', 0.9],
  ['koa-paymount', 'koa-verify', 0.9],
  // What fulfilling a new payment costs on top of one verify (store, lock, hooks): reported, not a
  // target, since the bare route does none of that work (bench/README.md#targets).
  ['express-paymount-distinct', 'express-verify'],
  ['koa-paymount-distinct', 'koa-verify'],
  // The Redis store against the memory store (the Redis case's cost includes redis-server's CPU time).
  ['express-paymount-redis', 'express-paymount-distinct', 0.85],
  ['koa-paymount-redis', 'koa-paymount-distinct', 0.85],
  ['express-alipay-sdk', 'express-verify'],
  ['express-verify', 'express-plain'],
  ['koa-verify', 'koa-plain'],
];
