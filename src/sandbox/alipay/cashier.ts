import { randomBytes } from 'node:crypto';
import { encodeFormJava, parseForm } from '../wire/form.js';
import { yuan } from '../wire/money.js';
import { beijingDateTime } from '../wire/time.js';
import type { SandboxRequest, SandboxResponse } from '../types.js';
import { amountFen, expiryOf, outTradeNo, parseBiz, text } from './biz.js';
import { GatewayFault, invalid } from './errors.js';
import type { Params, SimApp } from './gateway.js';
import { errorPage, escapeHtml, htmlPage } from './html.js';
import { signV1 } from './sign.js';
import type { Trade, TradeBook } from './trades.js';

/**
 * The WAP cashier (`alipay.trade.wap.pay`): entering it creates the trade; "pay" settles it, schedules the
 * notify and sends the browser back to `return_url` with V1-signed parameters; "cancel" leaves the
 * trade waiting and goes to `quit_url`.
 */

interface Session {
  app: SimApp;
  trade: Trade;
  returnUrl?: string;
  quitUrl?: string;
}

const fail = (message: string) => invalid('isv.invalid-parameter', message);

/** An absolute http(s) URL, or undefined when absent. */
export function urlParam(value: string | undefined, name: string, max: number): string | undefined {
  if (value === undefined || value === '') return undefined;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || !/^https?:$/.test(url.protocol) || value.length > max) {
    throw fail(`${name} 格式错误: "${value}" (an absolute http or https URL of at most ${max} characters)`);
  }
  return value;
}

/** `return_url` plus the signed parameters, before any `#fragment`. */
function withQuery(url: string, query: string): string {
  const hash = url.indexOf('#');
  const base = hash === -1 ? url : url.slice(0, hash);
  const fragment = hash === -1 ? '' : url.slice(hash);
  return `${base}${base.includes('?') ? '&' : '?'}${query}${fragment}`;
}

export interface CashierDeps {
  baseUrl: string;
  clock: () => Date;
  book: TradeBook;
  /** Resolves once the notifications of the last state change are scheduled. */
  drain(): Promise<void>;
}

export function createCashier(deps: CashierDeps) {
  const sessions = new Map<string, Session>();

  /** `alipay.trade.wap.pay` with a valid signature: the buyer enters the cashier. */
  function enter(app: SimApp, params: Params): SandboxResponse {
    const biz = parseBiz(params.biz_content);
    const outTrade = outTradeNo(biz, fail)!;
    const totalFen = amountFen(biz.total_amount, 'total_amount', fail);
    const subject = text(biz, 'subject', fail, { required: true, max: 256 })!;
    const productCode = text(biz, 'product_code', fail, { required: true, max: 64 });
    if (productCode !== 'QUICK_WAP_WAY')
      throw fail(`product_code 错误: "${productCode}" (alipay.trade.wap.pay takes QUICK_WAP_WAY)`);
    const body = text(biz, 'body', fail, { max: 128 });
    const passbackParams = text(biz, 'passback_params', fail, { max: 512 });
    const quitUrl = urlParam(text(biz, 'quit_url', fail, { max: 400 }), 'quit_url', 400);
    const notifyUrl = urlParam(params.notify_url, 'notify_url', 256);
    const returnUrl = urlParam(params.return_url, 'return_url', 256);
    const expiresAt = expiryOf(biz, deps.clock(), 'wap', fail);
    const trade = deps.book.open({
      appId: app.appId,
      sellerId: app.sellerId,
      channel: 'wap',
      outTradeNo: outTrade,
      totalFen,
      subject,
      body,
      passbackParams,
      notifyUrl,
      expiresAt,
    });
    const token = randomBytes(18).toString('base64url');
    sessions.set(token, { app, trade, returnUrl, quitUrl });
    return page(trade, token);
  }

  function page(trade: Trade, token: string): SandboxResponse {
    const row = (label: string, value: string) => `<dt>${label}</dt><dd>${escapeHtml(value)}</dd>`;
    return htmlPage(
      `支付宝收银台 - ${trade.subject}`,
      `<p class="subject">${escapeHtml(trade.subject)}</p>
<p class="amount"><small>¥</small>${escapeHtml(yuan(trade.totalFen))}</p>
<dl>${row('商户订单号', trade.outTradeNo)}${row('收款方', trade.sellerId)}${row('付款账户', trade.buyerLogonId)}${row('支付截止', beijingDateTime(trade.expiresAt))}</dl>
<form method="post" action="${escapeHtml(`${deps.baseUrl}/cashier`)}">
<input type="hidden" name="token" value="${escapeHtml(token)}">
<button type="submit" name="action" value="pay" class="pay">确认付款 · Pay</button>
<button type="submit" name="action" value="cancel" class="cancel">取消 · Cancel</button>
</form>`,
    );
  }

  /** `POST /cashier`: the buyer's choice. */
  async function submit(req: SandboxRequest): Promise<SandboxResponse> {
    if (req.method !== 'POST') return errorPage('METHOD_NOT_ALLOWED', 'the cashier form is submitted with POST', 405);
    let form: Record<string, string>;
    try {
      form = parseForm(req.body.toString('utf8'));
    } catch (error) {
      return errorPage('INVALID_FORM', (error as Error).message, 400);
    }
    const session = form.token ? sessions.get(form.token) : undefined;
    if (!session)
      return errorPage(
        'CASHIER_SESSION_NOT_FOUND',
        '收银台会话不存在或已结束 (unknown or finished cashier token: open the payment link again)',
        404,
      );
    if (form.action === 'cancel') {
      if (session.quitUrl) return { status: 302, headers: { location: session.quitUrl }, body: '' };
      return htmlPage(
        '支付已取消',
        '<p class="subject">支付已取消</p><p style="text-align:center">Payment cancelled. The order is still waiting for payment.</p>',
      );
    }
    if (form.action !== 'pay')
      return errorPage('INVALID_ACTION', `unknown action "${form.action ?? ''}" (pay or cancel)`, 400);
    const { trade, app } = session;
    try {
      deps.book.pay(trade);
    } catch (error) {
      if (!(error instanceof GatewayFault)) throw error;
      sessions.delete(form.token!);
      await deps.drain();
      return errorPage(error.subCode, error.subMsg);
    }
    sessions.delete(form.token!);
    await deps.drain();
    if (!session.returnUrl) {
      return htmlPage(
        '支付成功',
        `<p class="subject">支付成功 · Paid</p><p class="amount"><small>¥</small>${escapeHtml(yuan(trade.totalFen))}</p>`,
      );
    }
    const signed = await signV1(
      {
        charset: 'utf-8',
        out_trade_no: trade.outTradeNo,
        method: 'alipay.trade.wap.pay.return',
        total_amount: yuan(trade.totalFen),
        trade_no: trade.tradeNo,
        auth_app_id: app.appId,
        version: '1.0',
        app_id: app.appId,
        seller_id: app.sellerId,
        timestamp: beijingDateTime(deps.clock()),
      },
      app.signer.key,
    );
    return { status: 302, headers: { location: withQuery(session.returnUrl, encodeFormJava(signed)) }, body: '' };
  }

  return { enter, submit };
}
