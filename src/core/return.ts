import { resolveOrderId } from './attempts.js';
import { providerOf, type CoreContext } from './context.js';
import { keys } from './keys.js';
import { loadOrder } from './orders.js';
import { RequestError } from '../errors/index.js';
import { htmlError, html, redirect } from './respond.js';
import { resultPage } from './html.js';
import { settle } from './settle.js';
import type { CoreRequest, CoreResponse } from '../spi/types.js';
import type { HookContext, PaymentOutcome } from './hooks.js';

/**
 * `GET|POST /return/:provider`: the buyer's browser, back from the cashier. The return is never
 * payment proof: it names the order; the store or a provider query decides whether it is paid.
 */
export async function handleReturn(core: CoreContext, providerId: string, req: CoreRequest): Promise<CoreResponse> {
  const provider = providerOf(core, providerId);
  let info;
  try {
    info = await provider.parseReturn(req);
  } catch (error) {
    core.logger.warn(`rejected a ${provider.id} return: ${error instanceof Error ? error.message : String(error)}`);
    return htmlError(error);
  }
  const ctx: HookContext = { provider: provider.id, route: 'return', request: req.native, requestId: core.requestId };
  const orderId = await resolveOrderId(core, provider, info.tradeNo, ctx, info.orderId);
  if (orderId === undefined) {
    return htmlError(
      new RequestError(
        `trade number ${info.tradeNo} could belong to two orders; the payment, if any, is settled by its notify`,
        'ORDER_AMBIGUOUS',
      ),
    );
  }
  let outcome: PaymentOutcome = 'failed';
  if (info.hint !== 'failed') {
    try {
      outcome = await settle(core, provider.id, orderId, ctx);
    } catch (error) {
      // The provider could not be asked right now; the notify will still settle the order.
      core.logger.warn(`could not query ${provider.id} for order ${orderId} on return`, { error: String(error) });
      outcome = 'pending';
    }
  }
  return redirect(await resultLocation(core, orderId, outcome, ctx));
}

/** The host's `resultUrl`, if it stays on the host's origin; otherwise the mount's own page. */
async function resultLocation(
  core: CoreContext,
  orderId: string,
  outcome: PaymentOutcome,
  ctx: HookContext,
): Promise<string> {
  const fallback = `${core.config.publicPath}/result?orderId=${encodeURIComponent(orderId)}&provider=${encodeURIComponent(ctx.provider)}`;
  if (!core.hooks.resultUrl) return fallback;
  const order = await loadOrder(core, orderId, ctx).catch(() => null);
  if (!order) return fallback;
  const target = await core.hooks.resultUrl(order, outcome);
  const origin = core.config.publicOrigin;
  try {
    const url = new URL(target, origin);
    if (url.origin === origin && (url.protocol === 'https:' || url.protocol === 'http:')) return url.href;
  } catch {
    // fall through to the warning
  }
  core.logger.warn(
    `resultUrl returned ${JSON.stringify(target)}, which is not on ${origin}; using the default result page`,
  );
  return fallback;
}

/** `GET /result`: the default landing page; it shows what the store knows, not what the URL says. */
export async function handleResult(core: CoreContext, req: CoreRequest): Promise<CoreResponse> {
  const orderId = req.query.get('orderId') ?? '';
  const providerId = req.query.get('provider') ?? '';
  if (!core.providers.has(providerId)) return html(200, resultPage(orderId, 'pending'));
  // Links the provider holds (Alipay's quit_url) carry the trade number of their attempt.
  const id = (await core.store.get(keys.trade(providerId, orderId))) ?? orderId;
  const settled = await core.store.get(keys.settled(providerId, id));
  return html(200, resultPage(id, settled ? 'paid' : 'pending'));
}
