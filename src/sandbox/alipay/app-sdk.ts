import { parseForm } from '../wire/form.js';
import { yuan } from '../wire/money.js';
import { beijingDateTime } from '../wire/time.js';
import type { SandboxRequest, SandboxResponse } from '../types.js';
import { amountFen, expiryOf, outTradeNo, parseBiz, text } from './biz.js';
import { GatewayFault, invalid } from './errors.js';
import { APP_PAY, authenticate, type SimApp } from './gateway.js';
import type { FaultQueue } from './faults.js';
import { urlParam } from './cashier.js';
import { signedJson } from './response.js';
import type { Trade, TradeBook } from './trades.js';

/**
 * `POST /app/pay`: plays the Alipay app SDK (`alipay.trade.app.pay`). Takes the order string the merchant's
 * server produced, checks it like the gateway would, and answers what `payV2`/`payOrder` give
 * the app: `{ resultStatus, result, memo }`.
 */

/** What the test or demo app asks the "buyer" to do. */
export type AppAction = 'pay' | 'cancel' | 'fail' | 'processing' | 'network-error' | 'unknown';
const ACTIONS: readonly AppAction[] = ['pay', 'cancel', 'fail', 'processing', 'network-error', 'unknown'];

interface SdkResult {
  resultStatus: string;
  result: string;
  memo: string;
}

const fail = (message: string) => invalid('isv.invalid-parameter', message);

function json(status: number, value: unknown): SandboxResponse {
  return { status, headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify(value) };
}

const sdk = (resultStatus: string, memo: string, result = ''): SandboxResponse =>
  json(200, { resultStatus, result, memo } satisfies SdkResult);

/** The SDK's own words for a refused order string (ANTOM's app error list). */
function refusal(fault: GatewayFault): SandboxResponse {
  if (fault.subCode === 'isv.invalid-signature')
    return sdk('4000', `ALIN10070 签名错误 (the order string signature does not verify: ${fault.subMsg})`);
  if (fault.subCode === 'ACQ.CONTEXT_INCONSISTENT') return sdk('4000', `ALIN42282 ${fault.subMsg}`);
  return sdk('4000', `${fault.subCode} ${fault.subMsg}`);
}

export interface AppSdkDeps {
  apps: ReadonlyMap<string, SimApp>;
  clock: () => Date;
  book: TradeBook;
  faults: FaultQueue;
  drain(): Promise<void>;
}

export function createAppSdk(deps: AppSdkDeps) {
  function openTrade(app: SimApp, params: Record<string, string>): Trade {
    const biz = parseBiz(params.biz_content);
    const outTrade = outTradeNo(biz, fail)!;
    const totalFen = amountFen(biz.total_amount, 'total_amount', fail);
    const subject = text(biz, 'subject', fail, { required: true, max: 256 })!;
    const productCode = text(biz, 'product_code', fail, { max: 64 });
    if (productCode !== undefined && productCode !== 'QUICK_MSECURITY_PAY') {
      throw fail(`product_code 错误: "${productCode}" (alipay.trade.app.pay takes QUICK_MSECURITY_PAY or nothing)`);
    }
    const body = text(biz, 'body', fail, { max: 128 });
    const passbackParams = text(biz, 'passback_params', fail, { max: 512 });
    const notifyUrl = urlParam(params.notify_url, 'notify_url', 256);
    const expiresAt = expiryOf(biz, deps.clock(), 'app', fail);
    return deps.book.open({
      appId: app.appId,
      sellerId: app.sellerId,
      channel: 'app',
      outTradeNo: outTrade,
      totalFen,
      subject,
      body,
      passbackParams,
      notifyUrl,
      expiresAt,
    });
  }

  /** The signed `result` of a 9000: `{"alipay_trade_app_pay_response":{…},"sign":"…","sign_type":"RSA2"}`. */
  async function resultOf(app: SimApp, trade: Trade): Promise<string> {
    const signed = await signedJson(
      'alipay_trade_app_pay_response',
      {
        code: '10000',
        msg: 'Success',
        app_id: app.appId,
        auth_app_id: app.appId,
        charset: 'utf-8',
        timestamp: beijingDateTime(deps.clock()),
        out_trade_no: trade.outTradeNo,
        trade_no: trade.tradeNo,
        total_amount: yuan(trade.totalFen),
        seller_id: app.sellerId,
      },
      app.signer,
    );
    return `${signed.slice(0, -1)},"sign_type":"RSA2"}`;
  }

  return async function handle(req: SandboxRequest): Promise<SandboxResponse> {
    if (req.method !== 'POST')
      return json(405, { error: 'POST a JSON body { "params": { "orderString": "…" }, "action": "pay" }' });
    let input: { params?: { orderString?: unknown }; action?: unknown };
    try {
      input = JSON.parse(req.body.toString('utf8')) as typeof input;
    } catch {
      return json(400, { error: 'the body must be JSON: { "params": { "orderString": "…" }, "action": "pay" }' });
    }
    const orderString = input?.params?.orderString;
    const action = input?.action ?? 'pay';
    if (typeof orderString !== 'string' || orderString === '')
      return json(400, { error: 'params.orderString is required (the string your server returned for the app)' });
    if (typeof action !== 'string' || !ACTIONS.includes(action as AppAction))
      return json(400, { error: `action must be one of ${ACTIONS.join(', ')}` });
    // The network failed before the order reached Alipay: nothing happened.
    if (action === 'network-error') return sdk('6002', '网络连接出错');

    let params: Record<string, string>;
    try {
      params = parseForm(orderString);
    } catch (error) {
      return sdk(
        '4000',
        `ALIN38173 订单信息无法解析 (the order string is not a url-encoded k=v&… string: ${(error as Error).message})`,
      );
    }
    let app: SimApp;
    let trade: Trade;
    try {
      app = authenticate(params, deps.apps, deps.clock(), [APP_PAY]);
      const injected = deps.faults.take(APP_PAY);
      if (injected) throw injected;
      trade = openTrade(app, params);
      if (action === 'pay' || action === 'processing' || action === 'unknown') deps.book.pay(trade);
    } catch (error) {
      if (!(error instanceof GatewayFault)) throw error;
      await deps.drain();
      return refusal(error);
    }
    await deps.drain();
    switch (action) {
      case 'pay':
        return sdk('9000', '', await resultOf(app, trade));
      case 'processing':
        return sdk('8000', '正在处理中，支付结果未知（有可能已经支付成功），请查询商户订单列表中订单的支付状态');
      case 'unknown':
        return sdk('6004', '支付结果未知（有可能已经支付成功），请查询商户订单列表中订单的支付状态');
      case 'cancel':
        return sdk('6001', '用户中途取消');
      default:
        return sdk('4000', '订单支付失败');
    }
  };
}
