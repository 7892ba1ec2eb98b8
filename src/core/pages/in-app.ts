import type { CoreRequest, CoreResponse, LocalizedText } from '../../spi/types.js';
import type { CoreContext } from '../context.js';
import { startPage } from './base.js';
import { servePage } from './serve.js';
import type { InAppPage } from './types.js';

/**
 * The page a checkout link answers inside an app's browser that blocks the provider's cashier:
 * open the link in the phone's browser instead. The link shown is the one the buyer followed
 * (signature included), so it works there as it would have here.
 */
export function inAppResponse(
  core: CoreContext,
  req: CoreRequest,
  target: { orderId: string; provider: string; app: LocalizedText },
): Promise<CoreResponse> {
  const { messages, base, labels } = startPage(core, req);
  const app = target.app[base.locale];
  const { title, heading, message, link } = messages.inApp(app);
  const query = req.query.toString();
  const page: InAppPage = {
    ...base,
    kind: 'in-app',
    status: 200,
    orderId: target.orderId,
    provider: target.provider,
    app,
    link: `${core.config.publicOrigin}${core.config.publicPath}${req.path}${query ? `?${query}` : ''}`,
    texts: { ...labels, title, heading, message, link },
  };
  return servePage(core, page);
}
