import { resolveOrderId } from './attempts.js';
import { providerOf, type CoreContext } from './context.js';
import { keys } from './keys.js';
import { loadOrder } from './orders.js';
import { RequestError } from '../errors/index.js';
import { htmlError, redirect } from './respond.js';
import { checksOf, hintOf, orderOutcome, resultPath, resultResponse } from './pages/index.js';
import { settle } from './settle.js';
import type { CoreRequest, CoreResponse, Order } from '../spi/types.js';
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
    // The error page logs the rejection (route and message) under its reference.
    return htmlError(core, req, error);
  }
  const ctx: HookContext = { provider: provider.id, route: 'return', request: req.native, requestId: core.requestId };
  const orderId = await resolveOrderId(core, provider, info.tradeNo, ctx, info.orderId);
  if (orderId === undefined) {
    return htmlError(
      core,
      req,
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
  // A declined payment or a closed attempt: the page says so unless the store knows better.
  const hint: Record<string, string> = outcome === 'failed' || outcome === 'closed' ? { outcome: 'failed' } : {};
  const fallback = resultPath(core, orderId, ctx.provider, hint);
  if (!core.hooks.resultUrl) return fallback;
  const order = await loadOrder(core, orderId, ctx).catch(() => null);
  if (!order) return fallback;
  return (await hostResultUrl(core, order, outcome)) ?? fallback;
}

/** `resultUrl(order, outcome)` when it stays on the host's origin (no open redirect), else undefined (logged). */
async function hostResultUrl(core: CoreContext, order: Order, outcome: PaymentOutcome): Promise<string | undefined> {
  const { hooks } = core;
  if (!hooks.resultUrl) return undefined;
  const target = await hooks.resultUrl(order, outcome);
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
  return undefined;
}

/**
 * `GET /result`: where `/return` sends a browser when the host has no `resultUrl`, and where a
 * buyer who leaves a cashier lands (Alipay `quit_url`, with `outcome=cancelled`). It shows what the
 * store and `getOrder` know, never what the URL claims; a host with `resultUrl` gets the browser
 * with that outcome instead.
 */
export async function handleResult(core: CoreContext, req: CoreRequest): Promise<CoreResponse> {
  const given = req.query.get('orderId') ?? '';
  if (!given) return htmlError(core, req, new RequestError('the result page needs ?orderId=', 'ORDER_NOT_FOUND'));
  const providerId = req.query.get('provider') ?? '';
  const provider = core.providers.has(providerId) ? providerId : undefined;
  // Links a provider holds may carry the trade number of their attempt rather than the order id.
  const orderId = (provider === undefined ? undefined : await core.store.get(keys.trade(provider, given))) ?? given;
  const ctx: HookContext = {
    provider: provider ?? '',
    route: 'result',
    request: req.native,
    requestId: core.requestId,
  };
  const { outcome, order } = await orderOutcome(core, orderId, provider, hintOf(req.query.get('outcome')), ctx);
  if (order && core.hooks.resultUrl) {
    const target = await hostResultUrl(core, order, outcome);
    // A resultUrl pointing back here would loop: the page itself is the answer then.
    if (target && new URL(target).pathname !== `${core.config.publicPath}/result`) return redirect(target);
  }
  const checks = checksOf(req.query.get('checks'));
  return resultResponse(core, req, { orderId, provider, outcome, checks, known: order !== null });
}
