import { verifyRsa } from '../wire/rsa.js';
import type { SandboxResponse } from '../types.js';
import { v2Verify } from './crypto.js';
import { notifyPayment } from './notify.js';
import type { SimState, WxRequest } from './state.js';

const FIELDS = ['appid', 'partnerid', 'prepayid', 'package', 'noncestr', 'timestamp', 'sign'] as const;

function answer(errCode: 0 | -1 | -2, errStr: string): SandboxResponse {
  return {
    status: 200,
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify({ errCode, errStr }),
  };
}

/**
 * `POST /app/pay`: plays OpenSDK `sendReq(PayReq)`. The parameter set must be complete and signed
 * for this merchant (v3: RSA over `appid\ntimestamp\nnoncestr\nprepayid\n` with the merchant key
 * that placed the order; v2: MD5/HMAC over the six fields + `&key=`), for a live APP prepay_id of
 * that merchant and its Open Platform app id; then errCode 0 (paid, notify sent), -2 (cancelled) or
 * -1 (failed, including every bad parameter set — what the real SDK reports).
 */
export function appPay(req: WxRequest, state: SimState): SandboxResponse {
  let input: unknown;
  try {
    input = JSON.parse(req.body.toString('utf8'));
  } catch {
    return {
      status: 400,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      body: 'body must be JSON {"params": {appid, partnerid, prepayid, package, noncestr, timestamp, sign}, "action": "pay"|"cancel"|"fail"}',
    };
  }
  const { params, action } = (typeof input === 'object' && input !== null ? input : {}) as {
    params?: unknown;
    action?: unknown;
  };
  if (action !== 'pay' && action !== 'cancel' && action !== 'fail')
    return {
      status: 400,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      body: 'action must be "pay", "cancel" or "fail"',
    };
  if (typeof params !== 'object' || params === null) return answer(-1, 'params missing');
  const p: Record<string, string> = Object.create(null);
  for (const name of FIELDS) {
    const value = (params as Record<string, unknown>)[name];
    if (typeof value !== 'string' || value === '') return answer(-1, `参数错误：${name} is missing or not a string`);
    p[name] = value;
  }
  const merchant = state.merchants.get(p.partnerid!);
  if (!merchant) return answer(-1, '参数错误：partnerid is not a merchant id');
  if (p.appid !== merchant.appIds.app)
    return answer(-1, '参数错误：appid is not the Open Platform mobile-app AppID of this merchant');
  if (p.package !== 'Sign=WXPay') return answer(-1, '参数错误：package must be "Sign=WXPay"');
  if (!/^\d{10}$/.test(p.timestamp!))
    return answer(-1, '参数错误：timestamp must be 10-digit Unix seconds (not milliseconds)');
  const signed =
    merchant.api === 'v3'
      ? verifyRsa(
          merchant.certificate.keys.publicKey,
          `${p.appid}\n${p.timestamp}\n${p.noncestr}\n${p.prepayid}\n`,
          p.sign!,
        )
      : v2Verify(
          {
            appid: p.appid,
            partnerid: p.partnerid,
            prepayid: p.prepayid,
            package: p.package,
            noncestr: p.noncestr,
            timestamp: p.timestamp,
            sign: p.sign,
          },
          merchant.apiV2Key,
          merchant.signType,
        );
  if (!signed) return answer(-1, '支付验证签名失败');
  const trade = state.trades.byPrepayId(p.prepayid!);
  if (!trade || trade.merchant !== merchant || trade.tradeType !== 'APP')
    return answer(-1, '参数错误：prepayid is not an APP order of this merchant');
  if (!state.trades.prepayUsable(trade, p.prepayid!))
    return answer(-1, '参数错误：prepayid expired (2 hours): place the order again');
  if (trade.state === 'CLOSED') return answer(-1, '订单已关闭');
  if (action === 'cancel') return answer(-2, '用户取消');
  if (action === 'fail') {
    state.trades.fail(trade);
    return answer(-1, '支付失败');
  }
  if (trade.state === 'SUCCESS' || trade.state === 'REFUND') return answer(-1, '订单已支付');
  if (state.trades.pay(trade)) notifyPayment(state, trade);
  return answer(0, '');
}
