import { chooseTradeNumber, releaseAttempt, saveAttempt } from './attempts.js';
import { ConfigError, ProviderError, RequestError } from '../errors/index.js';
import type { CheckoutOutput, Provider } from '../spi/provider.js';
import { CHANNELS, type Channel, type CheckoutResult, type Order } from '../spi/types.js';
import { providerOf, type CoreContext } from './context.js';
import type { HookContext } from './hooks.js';
import { keys } from './keys.js';
import { linkValid, signLink, type CheckoutLinkOptions } from './links.js';
import { withLock } from './lock.js';
import { loadOrder } from './orders.js';

/** Input of `payments.checkout`. The amount is never here: it always comes from `getOrder`. */
export interface CheckoutRequest<Req = unknown> {
  provider: string;
  orderId: string;
  /** Default `wap`. */
  channel?: Channel;
  /** The payer's IP (WeChat H5 requires it). */
  clientIp?: string;
  /**
   * The payer's id under the channel's app (an OpenID), required by `jsapi` and `mini`: from the
   * provider's web sign-in, or from the mini-program's login.
   */
  openid?: string;
  /** The framework's request object, handed to hooks. */
  request?: Req;
  /**
   * Whether the caller is already allowed to pay this order, so `authorizeCheckout` is not asked.
   * Default `true`: the host calling `payments.checkout` itself is trusted. The routes pass `true`
   * for a valid signed link and `false` otherwise.
   */
  authorized?: boolean;
}

const ORDER_ID = /^[\x21-\x7e]{1,128}$/;
/** An OpenID: letters, digits, `-` and `_` (WeChat's are 28 characters). */
const OPENID = /^[A-Za-z0-9_-]{1,128}$/;
/** The channels that pay for a known payer, and so take an `openid`. */
const PAYER_CHANNELS: readonly Channel[] = ['jsapi', 'mini'];
/** The fingerprint of an attempt the provider had and the store did not: it matches no order, so it is never reused. */
const TAKEN = 'placed at the provider by an attempt the store lost';

/**
 * What a caller who may not pay an order learns about it: nothing. Unknown, paid, closed and
 * not-yours orders all get this one answer.
 */
const notPayable = (orderId: string) =>
  new RequestError(`order ${orderId} cannot be paid here (unknown, or not yours to pay)`, 'ORDER_NOT_FOUND');

/** A checkout request once its fields are checked: the provider, the channel and the payer. */
export interface Admitted {
  provider: Provider;
  order: Order;
  channel: Channel;
  openid?: string;
  clientIp?: string;
  ctx: HookContext;
}

/** The channel and payer of a request, checked against each other and the provider's channels. */
function channelOf(provider: Provider, input: CheckoutRequest): { channel: Channel; openid?: string } {
  const channel = input.channel ?? 'wap';
  if (!CHANNELS.includes(channel)) {
    throw new RequestError(
      `channel must be one of ${CHANNELS.map((c) => `"${c}"`).join(', ')}, got ${JSON.stringify(channel)}`,
    );
  }
  if (provider.channels && !provider.channels.includes(channel)) {
    throw new RequestError(
      `${provider.id} does not check out on channel "${channel}" here (it offers ${provider.channels.join(', ')})`,
      'CHANNEL_UNSUPPORTED',
    );
  }
  const { openid } = input;
  if (openid === undefined) return { channel };
  if (typeof openid !== 'string' || !OPENID.test(openid)) {
    throw new RequestError('openid must be 1–128 letters, digits, "-" or "_" (the payer\'s id under the app)');
  }
  if (!PAYER_CHANNELS.includes(channel)) {
    throw new RequestError(`openid is for channel ${PAYER_CHANNELS.join(' or ')}, not "${channel}"`);
  }
  return { channel, openid };
}

/**
 * Checks a checkout request, loads its order and makes sure the caller may pay it and that it
 * can be paid: everything short of creating the payment.
 */
export async function admitCheckout(core: CoreContext, input: CheckoutRequest): Promise<Admitted> {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-conversion -- hosts in JavaScript may pass anything
  const provider = providerOf(core, String(input.provider));
  const { channel, openid } = channelOf(provider, input);
  const orderId = input.orderId;
  if (typeof orderId !== 'string' || !ORDER_ID.test(orderId)) {
    throw new RequestError(
      'orderId is missing or not a printable ASCII string of at most 128 characters',
      'ORDER_ID_INVALID',
    );
  }

  const ctx: HookContext = {
    provider: provider.id,
    route: 'checkout',
    request: input.request,
    requestId: core.requestId,
  };
  const order = await loadOrder(core, orderId, ctx);
  if (!order) throw notPayable(orderId);
  if (!(await authorized(core, order, input, ctx))) throw notPayable(orderId);
  if (order.status === 'paid' || (await core.store.get(keys.orderPaid(orderId)))) {
    throw new RequestError(`order ${orderId} is already paid`, 'ORDER_PAID');
  }
  if (order.status === 'closed') throw new RequestError(`order ${orderId} is closed`, 'ORDER_CLOSED');
  if (order.expiresAt && order.expiresAt.getTime() <= core.clock().getTime()) {
    throw new RequestError(`order ${orderId} expired at ${order.expiresAt.toISOString()}`, 'ORDER_EXPIRED');
  }
  return { provider, order, channel, openid, clientIp: input.clientIp, ctx };
}

/** Creates the payment of an admitted order at its provider, under a trade number of its own. */
export async function placeCheckout(core: CoreContext, admitted: Admitted): Promise<CheckoutOutput> {
  const { provider, order, channel, openid, ctx } = admitted;
  const orderId = order.id;
  // One checkout of an order at a time: two at once could both pick, or both record, an attempt.
  const locked = await withLock(core, `checkout:${provider.id}:${orderId}`, async () => {
    for (let forgotten = 0; ; forgotten++) {
      const chosen = await chooseTradeNumber(core, provider, order, channel, ctx, openid);
      // Recorded before the provider is called: a call that times out may still have placed the
      // trade number, which must never be reused blindly nor forgotten by queries.
      if (!chosen.record) await saveAttempt(core, provider.id, orderId, chosen, {});
      const base = core.config.publicUrl;
      let output: CheckoutOutput;
      try {
        output = await provider.checkout({
          order,
          tradeNo: chosen.tradeNo,
          channel,
          notifyUrl: `${base}/notify/${provider.id}`,
          refundNotifyUrl: `${base}/notify/${provider.id}/refund`,
          returnUrl: `${base}/return/${provider.id}`,
          // Where a buyer who leaves the cashier lands: the result page says cancelled unless the order is paid.
          resultUrl: `${base}/result?${new URLSearchParams({ orderId, provider: provider.id, outcome: 'cancelled' })}`,
          clientIp: admitted.clientIp,
          ...(openid === undefined ? {} : { openid }),
          record: chosen.record,
        });
      } catch (error) {
        if (!chosen.record && error instanceof ProviderError) {
          // A new number that never reached the provider was never used: the next checkout may take it.
          if (!error.reached) await releaseAttempt(core, provider.id, orderId, chosen.tradeNo);
          // The provider holds this number from an attempt the store lost (docs/state.md#restarts):
          // it stays recorded as used, never to be reused, and the next number is tried.
          else if (forgotten < 2 && provider.tradeNumberTaken?.(error)) {
            await saveAttempt(core, provider.id, orderId, { ...chosen, fingerprint: TAKEN }, {});
            continue;
          }
        }
        throw error;
      }
      await saveAttempt(core, provider.id, orderId, chosen, output.record);
      // A cached answer about this number predates this checkout (a closed attempt now reopened).
      core.queries.forget(provider.id, chosen.tradeNo);
      core.logger.info('checkout created', { orderId, provider: provider.id, tradeNo: chosen.tradeNo, channel });
      return output;
    }
  });
  if (!locked)
    throw new RequestError(`another checkout of order ${orderId} is in progress; try again`, 'CHECKOUT_BUSY');
  return locked.value;
}

/** Loads the order, checks that it may and can be paid, and creates the payment at the provider. */
export async function checkout(core: CoreContext, input: CheckoutRequest): Promise<CheckoutResult> {
  return (await placeCheckout(core, await admitCheckout(core, input))).result;
}

/**
 * May this caller pay this order? A signed link or the host's own call says yes; otherwise
 * `authorizeCheckout` decides, or everyone may when the host chose `publicCheckout: true`.
 */
async function authorized(core: CoreContext, order: Order, input: CheckoutRequest, ctx: HookContext): Promise<boolean> {
  if (input.authorized ?? true) return true;
  // A hook written in JavaScript may return any truthy value: only `true` authorizes.
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-boolean-literal-compare
  if (core.hooks.authorizeCheckout) return (await core.hooks.authorizeCheckout(order, ctx)) === true;
  return core.config.publicCheckout;
}

/** `payments.checkoutLink`: the path of a signed link to `GET /checkout/:provider`. */
export function checkoutLink(
  core: CoreContext,
  orderId: string,
  provider: string,
  options: CheckoutLinkOptions = {},
): string {
  const secret = core.config.linkSecret;
  if (!secret) throw new ConfigError('linkSecret', 'is required for checkout links: give createPayments a linkSecret');
  providerOf(core, provider);
  const expiresIn = options.expiresIn ?? 24 * 3600;
  if (!Number.isSafeInteger(expiresIn) || expiresIn <= 0) {
    throw new RequestError('expiresIn must be a positive whole number of seconds');
  }
  const expires = Math.floor(core.clock().getTime() / 1000) + expiresIn;
  const query = new URLSearchParams({
    orderId,
    expires: String(expires),
    sig: signLink(secret, orderId, provider, expires),
  });
  return `${core.config.publicPath}/checkout/${encodeURIComponent(provider)}?${query.toString()}`;
}

/** True when the request's `expires` and `sig` sign this order and provider. */
export function linkAuthorizes(core: CoreContext, query: URLSearchParams, orderId: string, provider: string): boolean {
  const secret = core.config.linkSecret;
  if (!secret) return false;
  return linkValid(secret, orderId, provider, query.get('expires'), query.get('sig'), core.clock());
}
