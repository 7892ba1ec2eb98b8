import type { CoreRequest, CoreResponse } from '../../spi/types.js';
import type { CoreContext } from '../context.js';
import type { PaymentOutcome } from '../hooks.js';
import { checkoutAgain, startPage } from './base.js';
import { servePage } from './serve.js';
import type { PageTexts, ResultPage } from './types.js';

/** A pending order is checked again every few seconds, a bounded number of times, then shown as not paid yet. */
export const REFRESH_SECONDS = 3;
export const REFRESH_ATTEMPTS = 5;

/** The path of the mount's result page for an order (with the cashier's hint, when there is one). */
export function resultPath(
  core: CoreContext,
  orderId: string,
  provider: string | undefined,
  extra: Record<string, string> = {},
): string {
  const query = new URLSearchParams({ orderId, ...(provider ? { provider } : {}), ...extra });
  return `${core.config.publicPath}/result?${query.toString()}`;
}

/** How many checks the URL says were made already (`checks=`), within bounds. */
export function checksOf(value: string | null): number {
  const n = Number(value ?? 0);
  return Number.isSafeInteger(n) && n >= 0 ? Math.min(n, REFRESH_ATTEMPTS) : 0;
}

/** The result page of an order whose outcome is known. */
export function resultResponse(
  core: CoreContext,
  req: CoreRequest,
  state: { orderId: string; provider?: string; outcome: PaymentOutcome; checks: number; known: boolean },
): Promise<CoreResponse> {
  const { orderId, provider, outcome, checks } = state;
  const { messages, base, labels } = startPage(core, req);
  const checking = outcome === 'pending' && checks < REFRESH_ATTEMPTS;
  const said = outcome === 'pending' && !checking ? messages.unpaid : messages.result[outcome];
  const texts: PageTexts = { ...labels, title: said.heading, ...said };
  const page: ResultPage = { ...base, kind: 'result', status: 200, orderId, provider, outcome, texts };
  if (checking) {
    const attempt = checks + 1;
    const url = resultPath(core, orderId, provider, { checks: String(attempt) });
    page.refresh = { seconds: REFRESH_SECONDS, url, attempt, attempts: REFRESH_ATTEMPTS };
    texts.note = messages.checking(REFRESH_SECONDS, attempt, REFRESH_ATTEMPTS);
  }
  // Not paid, and it still can be: offer to pay again (never while a payment may be on its way).
  const retryable = outcome === 'failed' || outcome === 'cancelled' || (outcome === 'pending' && !checking);
  if (retryable) {
    const link = state.known ? checkoutAgain(core, orderId, provider) : undefined;
    page.links = { ...base.links, retry: link ?? base.links.shop };
    texts.retry = link ? messages.retry : messages.retryInShop;
  }
  return servePage(core, page);
}
