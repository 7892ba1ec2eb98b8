import { RequestError } from '../errors/index.js';
import type { ResolvedConfig } from './config.js';
import type { Provider } from '../spi/provider.js';
import type { Logger, Order } from '../spi/types.js';
import type { HookContext, Hooks } from './hooks.js';
import { isFen } from '../wire/money.js';
import { PaymountError } from '../errors/index.js';
import type { PaymentStore } from '../spi/store.js';

/** Everything a route needs, built once by `createPayments`. Internal. */
export interface Engine {
  config: ResolvedConfig;
  hooks: Hooks;
  providers: Map<string, Provider>;
  store: PaymentStore;
  clock: () => Date;
  logger: Logger;
}

/** Store keys, in one place so that a shared store's contents stay readable. */
export const keys = {
  paid: (provider: string, transactionId: string) => `paymount:paid:${provider}:${transactionId}`,
  settled: (provider: string, orderId: string) => `paymount:order:${provider}:${orderId}`,
  checkout: (provider: string, orderId: string) => `paymount:checkout:${provider}:${orderId}`,
  trade: (provider: string, tradeNo: string) => `paymount:trade:${provider}:${tradeNo}`,
  refund: (provider: string, orderId: string, refundId: string) => `paymount:refund:${provider}:${orderId}:${refundId}`,
  lock: (name: string) => `paymount:lock:${name}`,
};

export const DAY_MS = 24 * 60 * 60 * 1000;

export function providerOf(engine: Engine, id: string): Provider {
  const provider = engine.providers.get(id);
  if (!provider) {
    const known = [...engine.providers.keys()].join(', ');
    throw new RequestError(`unknown provider "${id}" (configured: ${known})`, 404, 'PROVIDER_UNKNOWN');
  }
  return provider;
}

/** Calls `getOrder` and checks what the host returned, so a host bug is named, not propagated. */
export async function loadOrder(engine: Engine, orderId: string, ctx: HookContext): Promise<Order | null> {
  const order = await engine.hooks.getOrder(orderId, ctx);
  if (order === null || order === undefined) return null;
  if (typeof order !== 'object' || typeof order.id !== 'string') {
    throw new PaymountError('HOOK_INVALID', `getOrder("${orderId}") must return { id, amount, subject } or null`);
  }
  if (!isFen(order.amount)) {
    throw new PaymountError(
      'HOOK_INVALID',
      `getOrder("${orderId}") returned amount ${JSON.stringify(order.amount)}: amounts are positive integers of fen (12.34 yuan = 1234)`,
    );
  }
  if (order.currency !== undefined && order.currency !== 'CNY') {
    throw new PaymountError(
      'HOOK_INVALID',
      `getOrder("${orderId}") returned currency ${order.currency}: only CNY is supported`,
    );
  }
  return order;
}

/** What the store keeps once an order is paid (see `fulfil`). */
export interface SettledRecord {
  orderId: string;
  /** The trade number the payment was made under. */
  tradeNo: string;
  transactionId: string;
  amount: number;
  paidAt: string;
}

export async function readSettled(
  engine: Engine,
  provider: string,
  orderId: string,
): Promise<SettledRecord | undefined> {
  const text = await engine.store.get(keys.settled(provider, orderId));
  return text === undefined ? undefined : (JSON.parse(text) as SettledRecord);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `fn` while holding a store lock named `name`. Waits (with backoff) for a concurrent holder
 * up to `lockWaitMs`; resolves `undefined` when the lock could not be had in time.
 */
export async function withLock<T>(
  engine: Engine,
  name: string,
  fn: () => Promise<T>,
): Promise<{ value: T } | undefined> {
  const key = keys.lock(name);
  const token = `${process.pid}:${Math.random().toString(36).slice(2)}`;
  const deadline = Date.now() + engine.config.lockWaitMs;
  let delay = 2;
  while (!(await engine.store.setIfAbsent(key, token, engine.config.lockTtlMs))) {
    if (Date.now() >= deadline) return undefined;
    await sleep(delay);
    delay = Math.min(delay * 2, 100);
  }
  try {
    return { value: await fn() };
  } finally {
    await engine.store.deleteIfEquals(key, token);
  }
}
