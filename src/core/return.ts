import { orderIdOf } from './attempts.js';
import { keys, loadOrder, providerOf, type Engine } from './engine.js';
import { RequestError } from '../errors/index.js';
import { htmlError, html, redirect } from './respond.js';
import { resultPage } from './html.js';
import { settleOrder } from './settle.js';
import type { CoreRequest, CoreResponse } from '../spi/types.js';
import type { HookContext, PaymentOutcome } from './hooks.js';

/**
 * `GET|POST /return/:provider`: the buyer's browser, back from the cashier. The return is never
 * payment proof: it names the order; the store or a provider query decides whether it is paid.
 */
export async function handleReturn(engine: Engine, providerId: string, req: CoreRequest): Promise<CoreResponse> {
  const provider = providerOf(engine, providerId);
  let info;
  try {
    info = await provider.parseReturn(req);
  } catch (error) {
    engine.logger.warn(`rejected a ${provider.id} return: ${error instanceof Error ? error.message : String(error)}`);
    return htmlError(error);
  }
  const ctx: HookContext = { provider: provider.id, route: 'return', request: req.native };
  const orderId = await orderIdOf(engine, provider.id, info.orderId, ctx);
  if (orderId === undefined) {
    return htmlError(
      new RequestError(
        `trade number ${info.orderId} could belong to two orders; the payment, if any, is settled by its notify`,
        409,
        'ORDER_AMBIGUOUS',
      ),
    );
  }
  let outcome: PaymentOutcome = 'failed';
  if (info.hint !== 'failed') {
    try {
      outcome = await settleOrder(engine, provider.id, orderId, ctx);
    } catch (error) {
      // The provider could not be asked right now; the notify will still settle the order.
      engine.logger.warn(`could not query ${provider.id} for order ${orderId} on return`, { error: String(error) });
      outcome = 'pending';
    }
  }
  return redirect(await resultLocation(engine, orderId, outcome, ctx));
}

/** The host's `resultUrl`, if it stays on the host's origin; otherwise the mount's own page. */
async function resultLocation(
  engine: Engine,
  orderId: string,
  outcome: PaymentOutcome,
  ctx: HookContext,
): Promise<string> {
  const fallback = `${engine.config.publicPath}/result?orderId=${encodeURIComponent(orderId)}&provider=${encodeURIComponent(ctx.provider)}`;
  if (!engine.hooks.resultUrl) return fallback;
  const order = await loadOrder(engine, orderId, ctx).catch(() => null);
  if (!order) return fallback;
  const target = await engine.hooks.resultUrl(order, outcome);
  const origin = engine.config.publicOrigin;
  try {
    const url = new URL(target, origin);
    if (url.origin === origin && (url.protocol === 'https:' || url.protocol === 'http:')) return url.href;
  } catch {
    // fall through to the warning
  }
  engine.logger.warn(
    `resultUrl returned ${JSON.stringify(target)}, which is not on ${origin}; using the default result page`,
  );
  return fallback;
}

/** `GET /result`: the default landing page; it shows what the store knows, not what the URL says. */
export async function handleResult(engine: Engine, req: CoreRequest): Promise<CoreResponse> {
  const orderId = req.query.get('orderId') ?? '';
  const providerId = req.query.get('provider') ?? '';
  if (!engine.providers.has(providerId)) return html(200, resultPage(orderId, 'pending'));
  // Links the provider holds (Alipay's quit_url) carry the trade number of their attempt.
  const id = (await engine.store.get(keys.trade(providerId, orderId))) ?? orderId;
  const settled = await engine.store.get(keys.settled(providerId, id));
  return html(200, resultPage(id, settled ? 'paid' : 'pending'));
}
