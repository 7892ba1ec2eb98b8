import { RequestError } from '../errors/index.js';
import type { Provider } from '../spi/provider.js';
import type { PaymentStore } from '../spi/store.js';
import type { Logger } from '../spi/types.js';
import type { ResolvedConfig } from './config.js';
import type { Hooks } from './hooks.js';
import type { QueryCache } from './queries.js';

/** Everything a route needs, built once by `createPayments`. Internal. */
export interface CoreContext {
  config: ResolvedConfig;
  hooks: Hooks;
  providers: Map<string, Provider>;
  store: PaymentStore;
  clock: () => Date;
  logger: Logger;
  /** Provider queries of the last second, shared by concurrent callers. */
  queries: QueryCache;
  /** The id of the request being answered, when there is one (logged with everything it does). */
  requestId?: string;
}

/** The provider configured under `id`, or a 404 naming the ones that are. */
export function providerOf(core: CoreContext, id: string): Provider {
  const provider = core.providers.get(id);
  if (!provider) {
    const known = [...core.providers.keys()].join(', ');
    throw new RequestError(`unknown provider "${id}" (configured: ${known})`, 'PROVIDER_UNKNOWN');
  }
  return provider;
}
