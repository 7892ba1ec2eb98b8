import type { CoreRequest, CoreResponse } from '../../spi/types.js';
import type { CoreContext } from '../context.js';
import { startPage } from './base.js';
import { servePage } from './serve.js';
import type { RedirectPage } from './types.js';

/** The page that posts a cashier form at once (and has a button for browsers without JavaScript). */
export function redirectResponse(
  core: CoreContext,
  req: CoreRequest,
  target: { orderId: string; provider: string; action: string; fields: Readonly<Record<string, string>> },
): Promise<CoreResponse> {
  const { messages, base, labels } = startPage(core, req);
  const { title, heading, message, submit } = messages.redirect;
  const page: RedirectPage = {
    ...base,
    kind: 'redirect',
    status: 200,
    orderId: target.orderId,
    provider: target.provider,
    texts: { ...labels, title, heading, message, submit },
    form: { action: target.action, fields: target.fields },
  };
  return servePage(core, page);
}
