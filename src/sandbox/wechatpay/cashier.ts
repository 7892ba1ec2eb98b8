import { parseForm } from '../wire/form.js';
import { yuan } from '../wire/money.js';
import type { SandboxResponse } from '../types.js';
import { errorPage, esc, page } from './html.js';
import { notifyPayment } from './notify.js';
import type { SimState, WxRequest } from './state.js';
import { H5_URL_LIFETIME_MS, type Trade } from './trades.js';

const KNOWN = new Set(['prepay_id', 'package', 'redirect_url']);

interface Checked {
  trade: Trade;
  prepayId: string;
  pkg: string;
  redirect?: string;
}

/**
 * The rules of WeChat's `checkmweb` page (WeChat Pay H5 payment guide): a known ticket, used within 5 minutes, a
 * Referer (when the browser sends one) and a `redirect_url` on the merchant's H5 domain, and a
 * well-formed query (an un-encoded `redirect_url` spills extra parameters).
 */
function check(
  params: Record<string, string>,
  state: SimState,
  referer: string | undefined,
): Checked | SandboxResponse {
  const extra = Object.keys(params).filter((k) => !KNOWN.has(k));
  if (extra.length) {
    return errorPage(
      400,
      '签名验证失败',
      `unexpected parameters ${extra.join(', ')}: is redirect_url URL-encoded (encodeURIComponent)? Its own "&" must not split the cashier URL.`,
    );
  }
  const prepayId = params.prepay_id ?? '';
  const pkg = params.package ?? '';
  const ticket = state.trades.ticket(pkg);
  if (ticket?.prepayId !== prepayId)
    return errorPage(
      400,
      '商家参数格式有误，请联系商家解决',
      'unknown or truncated h5_url/mweb_url: open the URL exactly as the prepay answer gave it',
    );
  if (state.ctx.clock().getTime() - ticket.issuedAt.getTime() >= H5_URL_LIFETIME_MS) {
    return errorPage(
      410,
      '支付请求已失效，请重新发起支付',
      'h5_url/mweb_url is valid for 5 minutes: place the order again to get a new one',
    );
  }
  const { trade } = ticket;
  const onDomain = (url: URL) => trade.h5Domains.includes(url.hostname);
  if (referer) {
    let url: URL | undefined;
    try {
      url = new URL(referer);
    } catch {
      url = undefined;
    }
    if (!url || !onDomain(url))
      return errorPage(
        403,
        '商家存在未配置的参数',
        `the page that opened the cashier (${referer}) is not on the merchant's H5 payment domain (${trade.h5Domains.join(', ')})`,
      );
  }
  const redirect = params.redirect_url;
  if (redirect !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(redirect);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:'))
      return errorPage(400, '签名验证失败', 'redirect_url must be an absolute http(s) URL, URL-encoded once');
    if (!onDomain(url))
      return errorPage(
        403,
        '商家存在未配置的参数',
        `redirect_url host ${url.hostname} is not the merchant's H5 payment domain (${trade.h5Domains.join(', ')})`,
      );
  }
  return { trade, prepayId, pkg, redirect };
}

function isResponse(value: Checked | SandboxResponse): value is SandboxResponse {
  return 'status' in value;
}

function hidden(name: string, value: string): string {
  return `<input type="hidden" name="${esc(name)}" value="${esc(value)}">`;
}

/** `GET /cashier?prepay_id=…&package=…[&redirect_url=…]`: subject, amount, Pay / Cancel / Fail. */
export function showCashier(req: WxRequest, state: SimState): SandboxResponse {
  const params: Record<string, string> = {};
  for (const [k, v] of req.query) params[k] = v;
  const checked = check(params, state, req.headers.referer);
  if (isResponse(checked)) return checked;
  const { trade } = checked;
  if (trade.state === 'CLOSED')
    return errorPage(
      410,
      '订单已关闭',
      'the order expired (time_expire) or was closed: place a new order with a new out_trade_no',
    );
  if (trade.state === 'SUCCESS' || trade.state === 'REFUND')
    return page(200, '订单已支付', `<p class="error" style="color:#07c160">订单已支付</p>`);
  const fields =
    hidden('prepay_id', checked.prepayId) +
    hidden('package', checked.pkg) +
    (checked.redirect !== undefined ? hidden('redirect_url', checked.redirect) : '');
  return page(
    200,
    '微信支付',
    `<div class="amount">¥${esc(yuan(trade.total))}</div>
<div class="subject">${esc(trade.description)}</div>
<form method="post" action="${esc(`${state.ctx.baseUrl}/cashier`)}">
${fields}
<button type="submit" name="action" value="pay">确认支付 · Pay</button>
<button type="submit" name="action" value="cancel">取消 · Cancel</button>
<button type="submit" name="action" value="fail">模拟支付失败 · Simulate a failed payment</button>
</form>
<p class="note">商户号 ${esc(trade.merchant.mchId)} · ${esc(trade.outTradeNo)}</p>`,
  );
}

function after(redirect: string | undefined, title: string, message: string): SandboxResponse {
  // WeChat returns to redirect_url whatever happened; the merchant must query (WeChat Pay H5 payment guide).
  if (redirect !== undefined)
    return { status: 302, headers: { location: redirect, 'content-type': 'text/plain; charset=utf-8' }, body: '' };
  return page(200, title, `<p class="error" style="color:#191919">${esc(message)}</p>`);
}

/** `POST /cashier`: the buyer's choice. Pay → SUCCESS + notify; every choice returns to `redirect_url`. */
export function submitCashier(req: WxRequest, state: SimState): SandboxResponse {
  let form: Record<string, string>;
  try {
    form = parseForm(req.body.toString('utf8'));
  } catch {
    return errorPage(400, '商家参数格式有误，请联系商家解决', 'malformed form body');
  }
  const { action, ...params } = form;
  const checked = check(params, state, undefined);
  if (isResponse(checked)) return checked;
  const { trade, redirect } = checked;
  switch (action) {
    case 'pay':
      if (trade.state === 'CLOSED')
        return errorPage(410, '订单已关闭', 'the order expired or was closed before the buyer paid');
      if (state.trades.pay(trade)) notifyPayment(state, trade);
      return after(redirect, '支付成功', '支付成功 (paid)');
    case 'cancel':
      return after(redirect, '已取消支付', '已取消支付 (cancelled)');
    case 'fail':
      state.trades.fail(trade);
      return after(redirect, '支付失败', '支付失败 (payment failed)');
    default:
      return errorPage(400, '商家参数格式有误，请联系商家解决', 'action must be pay, cancel or fail');
  }
}
