import type { Sandbox } from '../../src/sandbox/index.js';

/**
 * A buyer inside WeChat, played with fetch: WeChat's user agent, the sandbox's WeChat user
 * cookie, redirects followed one at a time so that each hop can be checked.
 */

/** What WeChat's browser on an iPhone says (the `MicroMessenger/<version>` token is what matters). */
export const WECHAT_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) ' +
  'Mobile/15E148 MicroMessenger/8.0.50(0x1800322c) NetType/WIFI Language/zh_CN';

/** A phone browser outside WeChat. */
export const SAFARI_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) ' +
  'Version/17.5 Mobile/15E148 Safari/604.1';

export interface InvokeData {
  params: Record<string, string>;
  ok: string;
  cancel: string;
  fail: string;
}

/** One hop: the response, and where it sends the browser (absolute), if anywhere. */
export async function hop(
  url: string | URL,
  headers: Record<string, string> = {},
): Promise<{ res: Response; location?: string; body: string }> {
  const res = await fetch(url, {
    headers: { 'user-agent': WECHAT_UA, 'accept-language': 'en', ...headers },
    redirect: 'manual',
  });
  const location = res.headers.get('location') ?? undefined;
  return { res, location: location && new URL(location, url).href, body: await res.text() };
}

/** The JSON data block of an invoke page. */
export function invokeData(html: string): InvokeData {
  const m = /<script type="application\/json" id="invoke-data">([\s\S]*?)<\/script>/.exec(html);
  if (!m) throw new Error(`not an invoke page:\n${html.slice(0, 400)}`);
  return JSON.parse(m[1]!) as InvokeData;
}

/** The `data-kind` / `data-error` a buyer page carries. */
export function pageState(html: string): { kind?: string; error?: string } {
  return {
    kind: /data-kind="([^"]+)"/.exec(html)?.[1],
    error: /data-error="([^"]+)"/.exec(html)?.[1],
  };
}

/**
 * From the checkout link to the page that pays, as WeChat's browser goes: link → WeChat's
 * authorize page (signed in as `user`) → the callback with the code → the clean URL → the page.
 * Returns every hop's URL for checks.
 */
export async function signInAndOpen(
  link: string,
  user: string,
): Promise<{ authorize: URL; callback: string; clean: string; html: string; data: InvokeData }> {
  const first = await hop(link);
  if (first.res.status !== 302 || !first.location)
    throw new Error(`link answered ${first.res.status}: ${first.body.slice(0, 300)}`);
  const authorize = new URL(first.location);
  const signedIn = await hop(authorize, { cookie: `sandbox_wechat_user=${user}` });
  if (signedIn.res.status !== 302 || !signedIn.location)
    throw new Error(`authorize answered ${signedIn.res.status}: ${signedIn.body.slice(0, 300)}`);
  const callback = signedIn.location;
  const exchanged = await hop(callback);
  if (exchanged.res.status !== 302 || !exchanged.location)
    throw new Error(`callback answered ${exchanged.res.status}: ${exchanged.body.slice(0, 600)}`);
  const clean = exchanged.location;
  const page = await hop(clean);
  if (page.res.status !== 200) throw new Error(`the clean URL answered ${page.res.status}: ${page.body.slice(0, 600)}`);
  return { authorize, callback, clean, html: page.body, data: invokeData(page.body) };
}

/** What the bridge would do when the buyer presses a button: the sandbox checks the call, then acts. */
export async function bridgePay(
  sandbox: Sandbox,
  input: { params: unknown; action: 'pay' | 'cancel' | 'fail'; user: string; url?: string; scene?: 'web' | 'mini' },
): Promise<{ err_msg: string; message?: string }> {
  const res = await fetch(`${sandbox.url}/wechatpay/jsapi/pay`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(input),
  });
  return (await res.json()) as { err_msg: string; message?: string };
}
