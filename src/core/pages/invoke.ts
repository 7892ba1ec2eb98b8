import type { InvokeScript } from '../../spi/provider.js';
import type { CoreRequest, CoreResponse } from '../../spi/types.js';
import type { CoreContext } from '../context.js';
import { startPage } from './base.js';
import { servePage } from './serve.js';
import type { InvokePage } from './types.js';

/** The page that runs a provider's in-app payment call (its script, data and sources). */
export function invokeResponse(
  core: CoreContext,
  req: CoreRequest,
  target: { orderId: string; provider: string; invoke: InvokeScript },
): Promise<CoreResponse> {
  const { messages, base, labels } = startPage(core, req);
  const { title, heading, message, submit } = messages.invoke;
  const { script, data, sources = [] } = target.invoke;
  const page: InvokePage = {
    ...base,
    kind: 'invoke',
    status: 200,
    orderId: target.orderId,
    provider: target.provider,
    texts: { ...labels, title, heading, message, submit },
    invoke: { script, data, sources: [...sources] },
  };
  return servePage(core, page);
}
