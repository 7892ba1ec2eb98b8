import { ConfigError } from '../errors/index.js';
import type { ProviderDefinition } from '../spi/provider.js';
import { resolveLinkSecret } from './links.js';
import type { HostLogger } from './logger.js';
import type { Hooks } from './hooks.js';
import type { PaymentStore } from '../spi/store.js';
import { resolvePages } from './pages/options.js';
import { unreachableByProviders } from './public-url.js';
import type { PagesOptions, ResolvedPages } from './pages/types.js';

/** Options of `createPayments`: where the router lives, the providers, the hooks, and the plumbing. */
export interface PaymentsOptions<Req = unknown> extends Hooks<Req> {
  /**
   * The public URL of the mount point (`https://shop.example.com/pay`). Notify and return URLs
   * are built from it, so it must be reachable by the providers' servers and the buyer's browser.
   */
  publicUrl: string;
  /** Providers by route name, e.g. `{ alipay: alipay({...}) }`. */
  providers: Record<string, ProviderDefinition>;
  /** Where dedupe records, locks and checkout records live. Default: an in-memory store. */
  store?: PaymentStore;
  /** The one source of time. Default `() => new Date()`. */
  clock?: () => Date;
  /**
   * Where paymount logs (console-style or pino-style). Default: the console. `false` silences it.
   */
  logger?: HostLogger | false;
  /** Largest request body the routes accept, in bytes. Default 64 KiB. */
  bodyLimit?: number;
  /**
   * The longest an adapter waits for a request body to arrive, in ms; a slower body is answered
   * 408 and its connection closed. Default 10 s.
   */
  bodyTimeoutMs?: number;
  /** How long a notify waits for another copy of itself to finish before asking for a retry. Default 5 s. */
  lockWaitMs?: number;
  /**
   * How long a lock lives without renewal. The holder renews it every third of this while it works
   * (however long `onPaid` takes), so this only bounds how long a crashed holder blocks a retry.
   * Default 30 s.
   */
  lockTtlMs?: number;
  /**
   * The longest paymount waits for one operation of a `store` you pass; past it the request
   * answers 503 (a notify is retried by the provider) and no hook runs. Default 2 s.
   */
  storeTimeoutMs?: number;
  /**
   * Lets anyone who knows an order id check it out, when the host gives no `authorizeCheckout`.
   * Off by default: a checkout link then reveals nothing and changes nothing for a stranger.
   */
  publicCheckout?: boolean;
  /**
   * The secret of signed checkout links (`payments.checkoutLink`): at least 32 bytes, the same on
   * every instance. A valid link authorizes its checkout without `authorizeCheckout`.
   */
  linkSecret?: string | Buffer;
  /**
   * At most `max` new trade numbers per order and provider within `perMs`, so that repeated
   * checkouts cannot use up an order's numbers (each provider caps them; paymount allows 20).
   * Reusing a number is always allowed. Default `{ max: 3, perMs: 60_000 }`; `false` turns it off.
   */
  newTradeNumbers?: { max: number; perMs: number } | false;
  /**
   * What to do when an order is paid twice (two attempts, or two providers): `'report'` (default)
   * calls `onPaid` with `duplicateOf` set and logs it; `'refund'` also refunds the second payment
   * in full, once, and reports that refund to `onRefunded`.
   */
  duplicatePayments?: 'report' | 'refund';
  /** The buyer pages: language, the shop's name, colour, logo and link, or a template. See docs/pages.md. */
  pages?: PagesOptions;
}

const HOOKS = ['getOrder', 'onPaid', 'onRefunded', 'onClosed', 'onMismatch', 'resultUrl', 'authorizeCheckout'] as const;
const STORE_METHODS = [
  'get',
  'set',
  'setIfAbsent',
  'deleteIfEquals',
  'expireIfEquals',
  'indexAdd',
  'indexRemove',
  'indexRange',
] as const;
const REQUIRED_HOOKS = new Set(['getOrder', 'onPaid']);

/** The validated, normalised configuration. */
export interface ResolvedConfig {
  publicUrl: string;
  publicOrigin: string;
  publicPath: string;
  bodyLimit: number;
  bodyTimeoutMs: number;
  lockWaitMs: number;
  lockTtlMs: number;
  storeTimeoutMs: number;
  duplicatePayments: 'report' | 'refund';
  publicCheckout: boolean;
  linkSecret: Buffer | undefined;
  newTradeNumbers: { max: number; perMs: number } | false;
  pages: ResolvedPages;
}

/** Checks the whole configuration up front; throws one {@link ConfigError} naming the first mistake. */
export function resolveConfig(options: PaymentsOptions): ResolvedConfig {
  if (options === null || typeof options !== 'object')
    throw new ConfigError('options', 'createPayments needs an options object');

  let url: URL;
  try {
    url = new URL(options.publicUrl);
  } catch {
    throw new ConfigError(
      'publicUrl',
      `must be an absolute URL such as "https://shop.example.com/pay", got ${JSON.stringify(options.publicUrl)}`,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new ConfigError('publicUrl', `must be http(s), got "${url.protocol}"`);
  if (url.search || url.hash)
    throw new ConfigError(
      'publicUrl',
      'must not carry a query string or fragment: it is the base the routes are appended to',
    );

  for (const name of HOOKS) {
    const hook = options[name];
    if (hook === undefined && !REQUIRED_HOOKS.has(name)) continue;
    if (typeof hook !== 'function') {
      throw new ConfigError(
        name,
        REQUIRED_HOOKS.has(name) ? `is required and must be a function` : `must be a function when given`,
      );
    }
  }

  const providers = options.providers;
  if (!providers || typeof providers !== 'object' || Object.keys(providers).length === 0) {
    throw new ConfigError(
      'providers',
      'configure at least one provider, e.g. { alipay: alipay({ appId, privateKey, alipayPublicKey }) }',
    );
  }
  for (const [name, definition] of Object.entries(providers)) {
    if (!definition || typeof definition.setup !== 'function' || typeof definition.id !== 'string') {
      throw new ConfigError(`providers.${name}`, 'must be the result of a provider factory such as alipay({...})');
    }
    if (definition.id !== name) {
      throw new ConfigError(
        `providers.${name}`,
        `holds the "${definition.id}" provider: use the key "${definition.id}"`,
      );
    }
  }

  // A production gateway notifies over the internet: a publicUrl it cannot reach fails silently.
  const live = Object.entries(providers)
    .filter(([, definition]) => definition.live)
    .map(([name]) => name);
  const unreachable = live.length > 0 ? unreachableByProviders(url) : undefined;
  if (unreachable) {
    const gateways = live.map((name) => `providers.${name}`).join(', ');
    throw new ConfigError(
      'publicUrl',
      `${url.origin} cannot take notifies from a production gateway (${gateways}): ${unreachable}. ` +
        "Give the shop's public https:// URL, or use a test gateway or the sandbox (docs/go-live.md#the-notify-url)",
    );
  }

  const store = options.store;
  if (store !== undefined) {
    const missing = STORE_METHODS.filter(
      (name) => typeof (store as unknown as Record<string, unknown>)?.[name] !== 'function',
    );
    if (missing.length > 0)
      throw new ConfigError('store', `must implement the PaymentStore interface: ${missing.join(', ')} missing`);
  }
  if (options.clock !== undefined && typeof options.clock !== 'function')
    throw new ConfigError('clock', 'must be a function returning a Date');

  const bodyLimit = options.bodyLimit ?? 64 * 1024;
  if (!Number.isSafeInteger(bodyLimit) || bodyLimit < 1024)
    throw new ConfigError('bodyLimit', 'must be a whole number of bytes, at least 1024');
  const bodyTimeoutMs = options.bodyTimeoutMs ?? 10_000;
  if (!Number.isFinite(bodyTimeoutMs) || bodyTimeoutMs <= 0) {
    throw new ConfigError('bodyTimeoutMs', 'must be a positive number of milliseconds');
  }
  const lockWaitMs = options.lockWaitMs ?? 5000;
  if (!Number.isFinite(lockWaitMs) || lockWaitMs < 0)
    throw new ConfigError('lockWaitMs', 'must be a non-negative number of milliseconds');

  const lockTtlMs = options.lockTtlMs ?? 30_000;
  if (!Number.isFinite(lockTtlMs) || lockTtlMs < 1000) {
    throw new ConfigError('lockTtlMs', 'must be a number of milliseconds, at least 1000');
  }
  const storeTimeoutMs = options.storeTimeoutMs ?? 2000;
  if (!Number.isFinite(storeTimeoutMs) || storeTimeoutMs <= 0) {
    throw new ConfigError('storeTimeoutMs', 'must be a positive number of milliseconds');
  }

  const duplicatePayments = options.duplicatePayments ?? 'report';
  if (duplicatePayments !== 'report' && duplicatePayments !== 'refund') {
    throw new ConfigError(
      'duplicatePayments',
      `must be "report" or "refund", got ${JSON.stringify(duplicatePayments)}`,
    );
  }

  const publicCheckout = options.publicCheckout ?? false;
  if (typeof publicCheckout !== 'boolean') throw new ConfigError('publicCheckout', 'must be true or false');
  const linkSecret = resolveLinkSecret(options.linkSecret);
  if (!options.authorizeCheckout && !publicCheckout && !linkSecret) {
    throw new ConfigError(
      'authorizeCheckout',
      'is required: say who may pay an order (e.g. (order, ctx) => order.userId === ctx.request.session.userId), ' +
        'or set linkSecret to check out through signed links only, or publicCheckout: true to let anyone who ' +
        'knows an order id pay it',
    );
  }
  const newTradeNumbers = options.newTradeNumbers ?? { max: 3, perMs: 60_000 };
  if (
    newTradeNumbers !== false &&
    (!Number.isSafeInteger(newTradeNumbers.max) || newTradeNumbers.max < 1 || !(newTradeNumbers.perMs > 0))
  ) {
    throw new ConfigError('newTradeNumbers', 'must be false or { max: a whole number ≥ 1, perMs: milliseconds > 0 }');
  }

  const publicUrl = url.href.replace(/\/+$/, '');
  return {
    publicUrl,
    publicOrigin: url.origin,
    publicPath: url.pathname.replace(/\/+$/, ''),
    bodyLimit,
    bodyTimeoutMs,
    lockWaitMs,
    lockTtlMs,
    storeTimeoutMs,
    duplicatePayments,
    publicCheckout,
    linkSecret,
    newTradeNumbers,
    pages: resolvePages(options.pages, url.origin),
  };
}
