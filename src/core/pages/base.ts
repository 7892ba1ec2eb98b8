import { randomBytes } from 'node:crypto';
import type { CoreRequest } from '../../spi/types.js';
import type { CoreContext } from '../context.js';
import { negotiateLocale } from './locale.js';
import { messagesFor, type Messages } from './messages.js';
import type { PageBase } from './types.js';

/** What every page of one request starts from: its locale and words, the brand, the shop link, a nonce. */
export interface PageStart {
  messages: Messages;
  base: Omit<PageBase, 'texts' | 'status'>;
  /** The labels every page has. */
  labels: Pick<PageBase['texts'], 'order' | 'reference' | 'shop'>;
}

export function startPage(core: CoreContext, req: CoreRequest): PageStart {
  const pages = core.config.pages;
  const locale = pages.locale ?? negotiateLocale(req.headers['accept-language']);
  const messages = messagesFor(locale);
  return {
    messages,
    base: {
      locale,
      links: { shop: pages.shopUrl },
      brand: { name: pages.shopName, color: pages.color, logoUrl: pages.logoUrl },
      reference: core.requestId ?? randomBytes(8).toString('hex'),
      nonce: randomBytes(16).toString('base64'),
    },
    labels: { order: messages.order, reference: messages.reference, shop: messages.shop },
  };
}

/**
 * The link that checks the order out again, when a buyer may follow it: the host decides who may
 * pay (`authorizeCheckout`) or lets anyone (`publicCheckout`). With signed links only, a page cannot
 * sign one for whoever asks (that would authorize strangers), so the buyer goes back to the shop.
 */
export function checkoutAgain(core: CoreContext, orderId: string, provider: string | undefined): string | undefined {
  if (!provider || !core.providers.has(provider)) return undefined;
  if (!core.hooks.authorizeCheckout && !core.config.publicCheckout) return undefined;
  return `${core.config.publicPath}/checkout/${encodeURIComponent(provider)}?orderId=${encodeURIComponent(orderId)}`;
}
