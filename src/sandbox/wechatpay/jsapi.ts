import { randomBytes } from 'node:crypto';
import { verifyRsa } from '../wire/rsa.js';
import type { SandboxResponse } from '../types.js';
import { v2Sign } from './crypto.js';
import { sameText } from '../wire/compare.js';
import { notifyPayment } from './notify.js';
import { userOf } from './oauth.js';
import type { SimState, WxRequest } from './state.js';
import type { Trade } from './trades.js';

/**
 * The payment call of a page inside WeChat (`WeixinJSBridge.invoke('getBrandWCPayRequest', …)`)
 * and of a mini-program (`wx.requestPayment`), as WeChat checks it before it shows its cashier
 * (WeChat Pay "JSAPI调起支付" and "小程序调起支付", and the messages of their FAQs):
 *
 * 1. exactly the documented keys, strings; `package` is `prepay_id=` and a live JSAPI prepay;
 * 2. a page: its URL is in a payment directory of the merchant (here: the host of the order's
 *    `notify_url`, the merchant's own server); the prepay's app id is an official account, and the
 *    page's `appId` is it. A mini-program: the prepay's app id is the mini-program;
 * 3. `paySign` exactly as WeChat checks it: v3 `signType=RSA`, SHA256withRSA over
 *    `appId\ntimeStamp\nnonceStr\npackage\n` with the merchant certificate's key; v2 the merchant's
 *    algorithm over the five keys and the API v2 key;
 * 4. the WeChat user paying is the order's `payer.openid`;
 * 5. the order can still be paid.
 *
 * Then the cashier: pay (SUCCESS and the notify), cancel, or fail.
 */

type Scene = 'web' | 'mini';
type Outcome = { ok: true; trade: Trade } | { ok: false; message: string };

const WEB_KEYS = ['appId', 'timeStamp', 'nonceStr', 'package', 'signType', 'paySign'];
/** `wx.requestPayment` has no `appId` (the mini-program's is implied); one passed along is ignored. */
const MINI_KEYS = ['timeStamp', 'nonceStr', 'package', 'signType', 'paySign'];

const refuse = (message: string): Outcome => ({ ok: false, message });

/** Where the page's URL must be: a directory of the merchant's (here, its server's host). */
function inDirectory(trade: Trade, pageUrl: unknown): boolean {
  try {
    return typeof pageUrl === 'string' && trade.h5Domains.includes(new URL(pageUrl).hostname);
  } catch {
    return false;
  }
}

function signed(trade: Trade, p: Record<string, string>): boolean {
  const merchant = trade.merchant;
  const paySign = p.paySign ?? '';
  if (!/^\d{10}$/.test(p.timeStamp ?? '')) return false;
  if (merchant.api === 'v3') {
    if (p.signType !== 'RSA') return false;
    const message = `${trade.appId}\n${p.timeStamp}\n${p.nonceStr}\n${p.package}\n`;
    return verifyRsa(merchant.certificate.keys.publicKey, message, paySign);
  }
  if (p.signType !== merchant.signType) return false;
  const fields = {
    appId: trade.appId,
    timeStamp: p.timeStamp,
    nonceStr: p.nonceStr,
    package: p.package,
    signType: p.signType,
  };
  return sameText(paySign, v2Sign(fields, merchant.apiV2Key, merchant.signType));
}

/** Checks one call in WeChat's order; the message is what WeChat shows the buyer. */
export function checkCall(
  state: SimState,
  input: { params: unknown; pageUrl?: unknown; user: string | undefined; scene: Scene },
): Outcome {
  const { params, scene } = input;
  if (typeof params !== 'object' || params === null) return refuse('调用支付JSAPI缺少参数：params');
  const p = Object.create(null) as Record<string, string>;
  for (const key of scene === 'web' ? WEB_KEYS : MINI_KEYS) {
    const value = (params as Record<string, unknown>)[key];
    if (typeof value !== 'string' || value === '') return refuse(`调用支付JSAPI缺少参数：${key}`);
    p[key] = value;
  }
  const prepayId = /^prepay_id=(.+)$/.exec(p.package ?? '')?.[1];
  const trade = prepayId === undefined ? undefined : state.trades.byPrepayId(prepayId);
  if (prepayId === undefined || trade?.tradeType !== 'JSAPI' || !state.trades.prepayUsable(trade, prepayId))
    return refuse('调用支付JSAPI缺少参数：package（prepay_id 不存在或已过期）');
  const { appIds } = trade.merchant;
  if (scene === 'web') {
    if (!inDirectory(trade, input.pageUrl)) return refuse(`当前页面的URL未注册：${String(input.pageUrl)}`);
    if (trade.appId !== appIds.jsapi) return refuse('支付场景非法（这笔订单是小程序的）');
    if (p.appId !== trade.appId) return refuse('商户传入的appid参数不正确');
  } else if (trade.appId !== appIds.mini) {
    return refuse('支付场景非法（这笔订单不是这个小程序的）');
  }
  if (!signed(trade, p)) return refuse('支付验证签名失败');
  const paying = input.user === undefined ? undefined : state.accounts.openid(trade.appId, input.user);
  if (paying !== trade.payerOpenid) return refuse('下单账号与支付账号不一致');
  if (trade.state === 'SUCCESS' || trade.state === 'REFUND') return refuse('该订单已支付');
  if (trade.state === 'CLOSED') return refuse('订单已关闭');
  return { ok: true, trade };
}

/**
 * `get_brand_wcpay_request:ok` in a page, `requestPayment:ok` in a mini-program; mini-programs
 * report cancel as a failure.
 */
function errMsg(scene: Scene, outcome: 'ok' | 'cancel' | 'fail'): string {
  if (scene === 'web') return `get_brand_wcpay_request:${outcome}`;
  return outcome === 'ok'
    ? 'requestPayment:ok'
    : outcome === 'cancel'
      ? 'requestPayment:fail cancel'
      : 'requestPayment:fail';
}

/** The buyer's choice at the cashier. */
function settle(state: SimState, trade: Trade, scene: Scene, action: unknown): { err_msg: string } {
  if (action === 'pay') {
    if (state.trades.pay(trade)) notifyPayment(state, trade);
    return { err_msg: errMsg(scene, trade.state === 'SUCCESS' ? 'ok' : 'fail') };
  }
  if (action === 'fail') {
    state.trades.fail(trade);
    return { err_msg: errMsg(scene, 'fail') };
  }
  return { err_msg: errMsg(scene, 'cancel') };
}

/** The page's origin may read the answer, with the cookie that names the simulated user. */
function cors(req: WxRequest): Record<string, string> {
  const origin = req.headers.origin;
  return origin
    ? { 'access-control-allow-origin': origin, 'access-control-allow-credentials': 'true', vary: 'origin' }
    : {};
}

function json(req: WxRequest, status: number, value: unknown): SandboxResponse {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...cors(req) },
    body: JSON.stringify(value),
  };
}

function bodyOf(req: WxRequest): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(req.body.toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

const usage =
  'body must be JSON {"params": {…}, "url": "<page URL>"} (invoke), {"ticket", "action"} (confirm), ' +
  'or {"params", "action": "pay"|"cancel"|"fail", "user", "url"?, "scene"?: "web"|"mini"} (pay)';

/** `POST /jsapi/invoke` (the bridge): checks the call; a ticket for the cashier, or what WeChat would show. */
export function invoke(req: WxRequest, state: SimState): SandboxResponse {
  const body = bodyOf(req);
  if (!body) return json(req, 400, { error: usage });
  const checked = checkCall(state, { params: body.params, pageUrl: body.url, user: userOf(req), scene: 'web' });
  if (!checked.ok) return json(req, 200, { ok: false, err_msg: errMsg('web', 'fail'), message: checked.message });
  const ticket = randomBytes(12).toString('hex');
  state.jsapiTickets.set(ticket, { trade: checked.trade, scene: 'web' });
  const { trade } = checked;
  return json(req, 200, {
    ok: true,
    ticket,
    total: trade.total,
    description: trade.description,
    mchId: trade.merchant.mchId,
  });
}

/** `POST /jsapi/confirm` (the bridge): the buyer's button on the cashier the ticket opened. */
export function confirm(req: WxRequest, state: SimState): SandboxResponse {
  const body = bodyOf(req);
  const ticket = typeof body?.ticket === 'string' ? state.jsapiTickets.get(body.ticket) : undefined;
  if (!body || !ticket) return json(req, 400, { error: 'unknown or used ticket' });
  state.jsapiTickets.delete(body.ticket as string);
  return json(req, 200, settle(state, ticket.trade, ticket.scene, body.action));
}

/**
 * `POST /jsapi/pay`: the call and the buyer's choice at once, for tests and for mini-programs
 * (`scene: "mini"`), with the simulated user named in the body (or the cookie).
 */
export function payDirectly(req: WxRequest, state: SimState): SandboxResponse {
  const body = bodyOf(req);
  const action = body?.action;
  if (!body || (action !== 'pay' && action !== 'cancel' && action !== 'fail')) return json(req, 400, { error: usage });
  const scene: Scene = body.scene === 'mini' ? 'mini' : 'web';
  const user = typeof body.user === 'string' ? body.user : userOf(req);
  const checked = checkCall(state, { params: body.params, pageUrl: body.url, user, scene });
  if (!checked.ok) return json(req, 200, { err_msg: errMsg(scene, 'fail'), message: checked.message });
  return json(req, 200, settle(state, checked.trade, scene, action));
}

/** A preflight: the bridge sends `text/plain` and needs none, but answers one all the same. */
export function preflight(req: WxRequest): SandboxResponse {
  return {
    status: 204,
    headers: { ...cors(req), 'access-control-allow-methods': 'POST', 'access-control-allow-headers': 'content-type' },
  };
}
