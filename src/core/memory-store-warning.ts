import type { ProviderDefinition } from '../spi/provider.js';
import { localHostKind } from './public-url.js';

/**
 * The startup warning for the default memory store, or `undefined` when there is nothing to warn
 * about. The memory store is right for development and tests (the sandbox on this machine or its
 * network); a production gateway or a public `publicUrl` means a deployment, where a restart or a
 * second instance forgets what paymount recorded (docs/state.md#the-memory-store).
 */
export function memoryStoreWarning(
  publicUrl: string,
  providers: Record<string, ProviderDefinition>,
): string | undefined {
  const live = Object.entries(providers)
    .filter(([, definition]) => definition.live)
    .map(([name]) => name);
  const url = new URL(publicUrl);
  const local = localHostKind(url);
  if (live.length === 0 && local) return undefined;
  const why =
    live.length > 0
      ? `${live.join(', ')} ${live.length > 1 ? 'use production gateways' : 'uses a production gateway'}`
      : `publicUrl ${url.origin} is a public address`;
  return (
    `the default memory store keeps paymount's state in this process only, and ${why}: a restart or a second ` +
    'instance loses fulfilment dedupe (a retried notify calls onPaid again), refund records and trade-number ' +
    "attempts. Pass store: redisStore({ client }) from 'paymount/redis' (docs/state.md)"
  );
}
