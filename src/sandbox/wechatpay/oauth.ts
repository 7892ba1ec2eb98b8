import { randomBytes } from 'node:crypto';
import type { SandboxResponse } from '../types.js';
import { errorPage, esc, page } from './html.js';
import type { SimState, WxRequest } from './state.js';

/**
 * WeChat's web OAuth for official accounts, as the sandbox plays it (网页授权 documentation and its
 * FAQ): `GET /connect/oauth2/authorize` signs the simulated WeChat user in and sends the browser
 * back with a code; `GET /sns/oauth2/access_token` exchanges the code (see `accounts.ts`).
 * Errors on the authorize page are shown as a page inside WeChat, never sent back to the site.
 */

/** The cookie naming the simulated WeChat user of this browser (who is signed in to "WeChat"). */
export const USER_COOKIE = 'sandbox_wechat_user';

/** The order WeChat's documentation gives the parameters in (another order is among its causes of scope errors). */
const ORDER = ['appid', 'redirect_uri', 'response_type', 'scope', 'state'];

/** The simulated user named by the request's cookie, if any. */
export function userOf(req: WxRequest): string | undefined {
  const match = new RegExp(`(?:^|;\\s*)${USER_COOKIE}=([A-Za-z0-9_-]{1,64})`).exec(req.headers.cookie ?? '');
  return match?.[1];
}

function outsideWechat(req: WxRequest, state: SimState): SandboxResponse {
  const inside = new URLSearchParams(req.query);
  inside.set('sandbox_in_wechat', '1');
  return page(
    200,
    '请在微信客户端打开链接',
    `<p class="error" style="color:#191919">请在微信客户端打开链接</p>
<p class="note">This sign-in page only opens inside WeChat (its user agent says MicroMessenger). In the sandbox you can
continue as a simulated WeChat user:</p>
<p><a id="sandbox-in-wechat" href="${esc(`${state.ctx.baseUrl}${req.path}?${inside.toString()}`)}">
以模拟微信用户继续 · continue in simulated WeChat</a></p>`,
  );
}

/** `GET /connect/oauth2/authorize`: checks the request as WeChat does, then 302 back with a code. */
export function authorize(req: WxRequest, state: SimState): SandboxResponse {
  const inWechat =
    /micromessenger/i.test(req.headers['user-agent'] ?? '') || req.query.get('sandbox_in_wechat') === '1';
  if (!inWechat) return outsideWechat(req, state);
  const names = [...req.query.keys()].filter((name) => ORDER.includes(name));
  const expected = ORDER.filter((name) => req.query.has(name));
  if (names.join() !== expected.join())
    return errorPage(
      400,
      '此公众号并没有这些scope的权限 (10005)',
      `parameters must come in this order: ${ORDER.join(', ')}`,
    );
  const appId = req.query.get('appid') ?? '';
  const app = state.accounts.apps.get(appId);
  if (!app)
    return errorPage(
      400,
      'appid参数错误',
      `no app ${appId} in the sandbox: use the official account's app id (appId.jsapi)`,
    );
  if (app.kind !== 'official')
    return errorPage(
      400,
      '此公众号并没有这些scope的权限 (10005)',
      `${appId} is a ${app.kind === 'mini' ? 'mini-program' : 'mobile app'}: ` +
        "web OAuth needs an official account's app id",
    );
  if (req.query.get('response_type') !== 'code')
    return errorPage(400, 'response_type参数错误', 'response_type must be code');
  const scope = req.query.get('scope') ?? '';
  if (scope !== 'snsapi_base' && scope !== 'snsapi_userinfo')
    return errorPage(400, '此公众号并没有这些scope的权限 (10005)', 'scope must be snsapi_base or snsapi_userinfo');
  let target: URL;
  try {
    target = new URL(req.query.get('redirect_uri') ?? '');
    if (target.protocol !== 'https:' && target.protocol !== 'http:') throw new Error('not http(s)');
  } catch {
    return errorPage(400, 'redirect_uri参数错误', 'redirect_uri must be an absolute http(s) URL, encoded once');
  }
  const domains = state.oauthDomains;
  if (domains && !domains.includes(target.hostname))
    return errorPage(
      400,
      'redirect_uri域名与后台配置不一致 (10003)',
      `${target.hostname} is not an OAuth domain of this official account (${domains.join(', ')})`,
    );
  const given = req.query.get('state') ?? '';
  if (Buffer.byteLength(given) > 128 || !/^[A-Za-z0-9]*$/.test(given))
    return errorPage(400, 'state参数错误', 'state: at most 128 bytes of letters and digits');
  // The simulated user signed in to this browser's "WeChat"; a first visit signs a new one in.
  const user = userOf(req) ?? `u${randomBytes(6).toString('hex')}`;
  const code = state.accounts.issueCode(app.appId, user, scope);
  // Appended to the query WeChat was given, before any fragment.
  const fragment = target.hash;
  target.hash = '';
  const back = `${target.href}${target.search ? '&' : '?'}code=${code}&state=${given}${fragment}`;
  return {
    status: 302,
    headers: {
      location: back,
      'set-cookie': `${USER_COOKIE}=${user}; Path=/; HttpOnly; SameSite=Lax`,
      'content-type': 'text/plain; charset=utf-8',
    },
    body: '',
  };
}

/** `GET /sns/oauth2/access_token`: JSON, HTTP 200 even for errors. */
export function accessToken(req: WxRequest, state: SimState): SandboxResponse {
  return {
    status: 200,
    headers: { 'content-type': 'application/json; encoding=utf-8' },
    body: JSON.stringify(state.accounts.exchange(req.query)),
  };
}
