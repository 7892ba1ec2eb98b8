import type { CoreContext } from './context.js';
import { keys } from './keys.js';

/** What the store keeps once an order is paid (see `fulfil`). */
export interface SettledRecord {
  orderId: string;
  /** The trade number the payment was made under. */
  tradeNo: string;
  transactionId: string;
  amount: number;
  paidAt: string;
}

/** The first payment of an order at a provider, when the store knows it. */
export async function readSettled(
  core: CoreContext,
  provider: string,
  orderId: string,
): Promise<SettledRecord | undefined> {
  const text = await core.store.get(keys.settled(provider, orderId));
  return text === undefined ? undefined : (JSON.parse(text) as SettledRecord);
}
