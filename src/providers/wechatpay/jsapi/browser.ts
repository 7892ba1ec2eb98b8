import { RequestError } from '../../../errors/index.js';
import type { BrowserCheckoutInput, BrowserStep, ProviderEnv } from '../../../spi/provider.js';
import type { CoreRequest, InAppBrowser } from '../../../spi/types.js';
import type { HttpClient } from '../../../wire/http.js';
import { WECHAT_NAME, wechatBrowser } from '../../../wire/user-agent.js';
import type { JsapiConfig } from './config.js';
import { authorizeUrl, codeExchanger } from './oauth.js';
import { checkToken, signToken } from './state.js';

/**
 * A checkout link opened inside WeChat: WeChat refuses H5 payment there ("请在微信外打开订单"),
 * so the link signs the buyer in with the official account (web OAuth, `snsapi_base`) and pays
 * by JSAPI. The way there and back:
 *
 * 1. `GET /checkout/wechatpay?orderId=…` → 302 to WeChat's authorize page, `state` signed for the
 *    order (5 minutes, as long as WeChat's code lives), `redirect_uri` = the callback with the order.
 * 2. WeChat → `…/callback?orderId=…&code=…&state=…`: the state is checked, the code exchanged
 *    once for the openid, and the browser sent on to a clean URL carrying the openid under a token
 *    of its own (30 minutes): a reload then never presents a spent code (which WeChat refuses).
 * 3. `…/callback?orderId=…&openid=…&state=…`: the token is checked and the order checked out on
 *    `jsapi` for that openid; the core serves the page that pays.
 */

const AUTHORIZE_SECONDS = 5 * 60;
const PAYER_SECONDS = 30 * 60;

/** WeChat's own browser, where only JSAPI pays (not WeCom, not a mini-program's web-view). */
export const WECHAT_BROWSER: InAppBrowser = {
  name: WECHAT_NAME,
  test: (userAgent) => wechatBrowser(userAgent) === 'wechat',
};

const seconds = (clock: () => Date) => Math.floor(clock().getTime() / 1000);

/** Step 1: inside WeChat, off to its sign-in; anywhere else, the default checkout (H5). */
export function jsapiBrowserCheckout(jsapi: JsapiConfig, env: ProviderEnv) {
  return async (input: BrowserCheckoutInput): Promise<BrowserStep | undefined> => {
    if (!WECHAT_BROWSER.test(input.userAgent)) return undefined;
    const orderId = input.order.id;
    const state = signToken(jsapi.stateKey, ['authorize', orderId], seconds(env.clock) + AUTHORIZE_SECONDS);
    const redirectUri = `${input.callbackUrl}?${new URLSearchParams({ orderId }).toString()}`;
    return { type: 'redirect', url: authorizeUrl(jsapi, redirectUri, state) };
  };
}

/** Steps 2 and 3: back from WeChat's sign-in with a code, then on the clean URL with the openid. */
export function jsapiBrowserCallback(jsapi: JsapiConfig, env: ProviderEnv, http: HttpClient) {
  const exchange = codeExchanger(jsapi, http);
  return async (req: CoreRequest, input: { callbackUrl: string }): Promise<BrowserStep> => {
    const orderId = req.query.get('orderId');
    const state = req.query.get('state');
    const code = req.query.get('code');
    const openid = req.query.get('openid');
    if (!orderId)
      throw new RequestError(
        'the sign-in came back without orderId: open the checkout link again',
        'OAUTH_STATE_INVALID',
      );
    if (code !== null) {
      checkToken(jsapi.stateKey, ['authorize', orderId], state, env.clock());
      const payer = await exchange(code);
      const token = signToken(jsapi.stateKey, ['payer', orderId, payer], seconds(env.clock) + PAYER_SECONDS);
      const query = new URLSearchParams({ orderId, openid: payer, state: token });
      return { type: 'redirect', url: `${input.callbackUrl}?${query.toString()}` };
    }
    if (openid !== null) {
      checkToken(jsapi.stateKey, ['payer', orderId, openid], state, env.clock());
      return { type: 'checkout', orderId, channel: 'jsapi', openid };
    }
    // WeChat sends only the state back when the buyer declines a consent screen.
    throw new RequestError(
      'the sign-in came back without a code: the buyer declined, or the URL was cut',
      'OAUTH_CODE_INVALID',
    );
  };
}
