import { admitCheckout, linkAuthorizes, placeCheckout } from './checkout.js';
import { providerOf, type CoreContext } from './context.js';
import { RequestError } from '../errors/index.js';
import { inAppResponse, invokeResponse, redirectResponse } from './pages/index.js';
import { htmlError, redirect } from './respond.js';
import type { BrowserStep, CheckoutOutput, Provider } from '../spi/provider.js';
import type { CoreRequest, CoreResponse } from '../spi/types.js';

/**
 * The checkout routes a buyer's browser follows: `GET /checkout/:provider` (a link) and
 * `GET /checkout/:provider/callback` (back from a provider's sign-in). The order is admitted
 * first; then the provider may say its cashier cannot open in this browser, or take the checkout
 * over (see `Provider.browserCheckout`); the result becomes a redirect or a page.
 */

const callbackUrl = (core: CoreContext, provider: Provider) =>
  `${core.config.publicUrl}/checkout/${encodeURIComponent(provider.id)}/callback`;

/** `GET /checkout/:provider?orderId=…`: the link a shop puts on its pay button. */
export async function handleCheckoutLink(
  core: CoreContext,
  providerId: string,
  req: CoreRequest,
): Promise<CoreResponse> {
  try {
    const orderId = req.query.get('orderId') ?? '';
    const admitted = await admitCheckout(core, {
      provider: providerId,
      orderId,
      channel: 'wap',
      clientIp: req.ip,
      request: req.native,
      authorized: linkAuthorizes(core, req.query, orderId, providerId),
    });
    const { provider, order } = admitted;
    const userAgent = req.headers['user-agent'] ?? '';
    const blocked = provider.unsupportedBrowsers?.find((browser) => browser.test(userAgent));
    if (blocked) return await inAppResponse(core, req, { orderId, provider: provider.id, app: blocked.name });
    const step = await provider.browserCheckout?.({ order, callbackUrl: callbackUrl(core, provider), userAgent }, req);
    if (step?.type === 'redirect') return redirect(step.url);
    if (step && step.orderId !== orderId) {
      throw new Error(`${provider.id}.browserCheckout answered order ${step.orderId} for a link to ${orderId}`);
    }
    const output = await placeCheckout(core, {
      ...admitted,
      ...(step ? { channel: step.channel, openid: step.openid } : {}),
    });
    return await present(core, req, orderId, provider.id, output);
  } catch (error) {
    return htmlError(core, req, error);
  }
}

/** `GET /checkout/:provider/callback`: back from the provider's sign-in, carried on by the provider. */
export async function handleCheckoutCallback(
  core: CoreContext,
  providerId: string,
  req: CoreRequest,
): Promise<CoreResponse> {
  try {
    const provider = providerOf(core, providerId);
    if (!provider.browserCallback) {
      throw new RequestError(`${provider.id} has no sign-in callback: open /checkout/${provider.id}?orderId=… instead`);
    }
    const step: BrowserStep = await provider.browserCallback(req, { callbackUrl: callbackUrl(core, provider) });
    if (step.type === 'redirect') return redirect(step.url);
    // The provider vouches for the order: it signed what it carried from a request the core admitted.
    const admitted = await admitCheckout(core, {
      provider: provider.id,
      orderId: step.orderId,
      channel: step.channel,
      openid: step.openid,
      clientIp: req.ip,
      request: req.native,
      authorized: true,
    });
    return await present(core, req, step.orderId, provider.id, await placeCheckout(core, admitted));
  } catch (error) {
    return htmlError(core, req, error);
  }
}

/**
 * A checkout result as a browser takes it: a redirect, a page that posts a form, or one that runs
 * the provider's call.
 */
async function present(
  core: CoreContext,
  req: CoreRequest,
  orderId: string,
  provider: string,
  output: CheckoutOutput,
): Promise<CoreResponse> {
  const { result } = output;
  switch (result.type) {
    case 'redirect':
      return redirect(result.url);
    case 'form':
      return redirectResponse(core, req, { orderId, provider, action: result.action, fields: result.fields });
    case 'jsapi':
      if (output.invoke) return invokeResponse(core, req, { orderId, provider, invoke: output.invoke });
      throw new Error(`${provider} returned jsapi parameters without the script of their page`);
    case 'app':
      throw new RequestError('this provider returned app parameters for a browser link; use POST /checkout');
  }
}
