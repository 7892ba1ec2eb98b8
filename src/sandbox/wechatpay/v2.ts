import { beijingDateTime, parseBeijing } from '../wire/time.js';
import type { SandboxResponse } from '../types.js';
import { nonce, v2Sign, v2Verify, type V2SignType } from './crypto.js';
import { scheduleRefundCompletion } from './notify.js';
import { takeFault, text, type SimState, type WxRequest } from './state.js';
import type { Merchant, Refund, RefundError, Trade } from './trades.js';
import { h5Domains, OUT_TRADE_NO, parseNotifyUrl } from './validate.js';
import { v2TradeFields, v2TradeStateDesc } from './views.js';
import { buildFlatXml, parseFlatXml, XmlError } from './xml.js';
import { v2DownloadBill } from './bills.js';

type Fields = Record<string, string>;

function xml(fields: Record<string, string | undefined>): SandboxResponse {
  return { status: 200, headers: { 'content-type': 'text/xml; charset=utf-8' }, body: buildFlatXml(fields) };
}

/** Transport-level failure: `return_code=FAIL`, unsigned (WeChat Pay API v2 "统一下单" return codes). */
function fail(message: string): SandboxResponse {
  return xml({ return_code: 'FAIL', return_msg: message });
}

/** A signed answer in the algorithm the request used. */
function reply(
  merchant: Merchant,
  request: Fields,
  signType: V2SignType,
  fields: Record<string, string | undefined>,
): SandboxResponse {
  const out: Record<string, string | undefined> = {
    return_code: 'SUCCESS',
    return_msg: 'OK',
    appid: request.appid,
    mch_id: merchant.mchId,
    nonce_str: nonce(32),
    ...fields,
  };
  out.sign = v2Sign(out, merchant.apiV2Key, signType);
  return xml(out);
}

/** Business-level failure: `return_code=SUCCESS`, `result_code=FAIL`, signed. */
function bizFail(
  merchant: Merchant,
  request: Fields,
  signType: V2SignType,
  code: string,
  description: string,
): SandboxResponse {
  return reply(merchant, request, signType, { result_code: 'FAIL', err_code: code, err_code_des: description });
}

interface Call {
  merchant: Merchant;
  fields: Fields;
  signType: V2SignType;
  state: SimState;
}

const lack = (call: Call, name: string) =>
  bizFail(call.merchant, call.fields, call.signType, 'LACK_PARAMS', `缺少参数${name}`);
const param = (call: Call, message: string) =>
  bizFail(call.merchant, call.fields, call.signType, 'PARAM_ERROR', message);

function missing(call: Call, names: string[]): SandboxResponse | undefined {
  for (const name of names) if (!call.fields[name]) return lack(call, name);
  return undefined;
}

/** A field {@link missing} (or the dispatcher, for `appid`) has already required; absent here is a bug. */
function given(fields: Fields, name: string): string {
  const value = fields[name];
  if (value === undefined) throw new Error(`v2 field ${name} read before it was checked`);
  return value;
}

const H5_TYPES = new Set(['IOS', 'iOS', 'Android', 'Wap']);

function unifiedOrder(call: Call): SandboxResponse {
  const { fields, merchant } = call;
  const absent = missing(call, ['body', 'out_trade_no', 'total_fee', 'spbill_create_ip', 'notify_url', 'trade_type']);
  if (absent) return absent;
  if (Array.from(given(fields, 'body')).length > 128) return param(call, 'body长度不能超过128个字符');
  if (!OUT_TRADE_NO.test(given(fields, 'out_trade_no'))) return param(call, 'out_trade_no须为6-32位数字、字母或_-|*');
  if (!/^[1-9]\d{0,14}$/.test(given(fields, 'total_fee')))
    return param(call, 'total_fee须为正整数，单位为分（不是元）');
  if (fields.fee_type && fields.fee_type !== 'CNY') return param(call, 'fee_type只支持CNY');
  const tradeType = fields.trade_type;
  if (tradeType !== 'MWEB' && tradeType !== 'APP' && tradeType !== 'JSAPI')
    return param(call, `trade_type ${tradeType} 不受支持：沙箱只模拟 MWEB、APP 和 JSAPI`);
  if (tradeType === 'APP' && fields.appid !== merchant.appIds.app)
    return param(call, 'APP支付请使用开放平台移动应用AppID（不是H5的AppID）');
  let payerOpenid: string | undefined;
  if (tradeType === 'JSAPI') {
    const payer = jsapiPayer(call);
    if (typeof payer !== 'string') return payer.error;
    payerOpenid = payer;
  }
  const notify = parseNotifyUrl(given(fields, 'notify_url'));
  if (typeof notify === 'string') return param(call, `notify_url有误：${notify}`);
  let siteUrl: string | undefined;
  if (tradeType === 'MWEB') {
    if (!fields.scene_info) return lack(call, 'scene_info');
    let scene: unknown;
    try {
      scene = JSON.parse(fields.scene_info);
    } catch {
      return param(call, 'scene_info须为JSON字符串，如 {"h5_info":{"type":"Wap","wap_url":"…","wap_name":"…"}}');
    }
    const h5 = typeof scene === 'object' && scene !== null ? (scene as { h5_info?: unknown }).h5_info : undefined;
    const type = typeof h5 === 'object' && h5 !== null ? (h5 as { type?: unknown }).type : undefined;
    if (typeof type !== 'string' || !H5_TYPES.has(type))
      return param(call, 'scene_info.h5_info.type须为IOS、Android或Wap');
    const wapUrl = (h5 as { wap_url?: unknown }).wap_url;
    if (typeof wapUrl === 'string') siteUrl = wapUrl;
  }
  let expiresAt: Date | undefined;
  if (fields.time_expire) {
    expiresAt = /^\d{14}$/.test(fields.time_expire) ? parseBeijing(fields.time_expire) : undefined;
    if (!expiresAt) return param(call, 'time_expire须为yyyyMMddHHmmss（北京时间）');
    if (expiresAt.getTime() <= call.state.ctx.clock().getTime()) return param(call, 'time_expire已过期');
  }
  const result = call.state.trades.prepay(merchant, {
    appId: given(fields, 'appid'),
    tradeType,
    outTradeNo: given(fields, 'out_trade_no'),
    description: given(fields, 'body'),
    total: Number(fields.total_fee),
    currency: 'CNY',
    // eslint-disable-next-line @typescript-eslint/prefer-nullish-coalescing -- an empty attach counts as none
    attach: fields.attach || undefined,
    notifyUrl: notify.href,
    clientIp: fields.spbill_create_ip,
    expiresAt,
    h5Domains: h5Domains(notify.href, siteUrl),
    ...(payerOpenid ? { payerOpenid } : {}),
  });
  if ('error' in result) {
    const text = { ORDERPAID: '该订单已支付', ORDERCLOSED: '该订单已关闭', OUT_TRADE_NO_USED: '201 商户订单号重复' }[
      result.error
    ];
    return bizFail(merchant, fields, call.signType, result.error, text);
  }
  const { trade } = result;
  const out: Record<string, string | undefined> = {
    result_code: 'SUCCESS',
    trade_type: tradeType,
    prepay_id: trade.prepayId,
  };
  if (tradeType === 'MWEB')
    out.mweb_url = `${call.state.ctx.baseUrl}/cashier?prepay_id=${trade.prepayId}&package=${call.state.trades.issueTicket(trade)}`;
  return reply(merchant, fields, call.signType, out);
}

/**
 * The payer of a JSAPI order: `openid` is required and must be one WeChat issued under `appid`,
 * the official account or the mini-program. WeChat answers a mismatch at the transport level,
 * unsigned: `return_code=FAIL`, `return_msg=appid and openid not match` (as integrations report it).
 */
function jsapiPayer(call: Call): string | { error: SandboxResponse } {
  const { fields, merchant } = call;
  if (fields.appid !== merchant.appIds.jsapi && fields.appid !== merchant.appIds.mini)
    return { error: param(call, 'JSAPI支付请使用公众号或小程序的AppID') };
  if (!fields.openid) return { error: lack(call, 'openid（trade_type=JSAPI时必传）') };
  const owner = call.state.accounts.ownerOf(fields.openid);
  if (!owner) return { error: fail('invalid openid') };
  if (owner.appId !== fields.appid) return { error: fail('appid and openid not match') };
  return fields.openid;
}

function findTrade(call: Call): Trade | undefined {
  const { fields, merchant, state } = call;
  return fields.transaction_id
    ? state.trades.byTransactionId(merchant, fields.transaction_id)
    : state.trades.get(merchant, fields.out_trade_no ?? '');
}

function orderQuery(call: Call): SandboxResponse {
  if (!call.fields.transaction_id && !call.fields.out_trade_no) return lack(call, 'out_trade_no或transaction_id');
  const trade = findTrade(call);
  if (!trade) return bizFail(call.merchant, call.fields, call.signType, 'ORDERNOTEXIST', 'order not exist');
  return reply(call.merchant, call.fields, call.signType, {
    result_code: 'SUCCESS',
    ...v2TradeFields(trade),
    trade_state: trade.state,
    trade_state_desc: v2TradeStateDesc(trade),
  });
}

function closeOrder(call: Call): SandboxResponse {
  const absent = missing(call, ['out_trade_no']);
  if (absent) return absent;
  const trade = call.state.trades.get(call.merchant, given(call.fields, 'out_trade_no'));
  if (!trade) return bizFail(call.merchant, call.fields, call.signType, 'ORDERNOTEXIST', '订单不存在');
  if (trade.state === 'CLOSED') return bizFail(call.merchant, call.fields, call.signType, 'ORDERCLOSED', '订单已关闭');
  if (call.state.trades.close(trade) === 'ORDERPAID')
    return bizFail(
      call.merchant,
      call.fields,
      call.signType,
      'ORDERPAID',
      '订单已支付，不能发起关单，请当作已支付的正常交易',
    );
  return reply(call.merchant, call.fields, call.signType, { result_code: 'SUCCESS', result_msg: 'OK' });
}

const REFUND_ERRORS: Record<RefundError, [string, string]> = {
  NOT_PAID: ['TRADE_STATE_ERROR', '订单未支付，不能退款'],
  TRADE_OVERDUE: ['TRADE_OVERDUE', '订单已经超过退款期限'],
  REPEAT_MISMATCH: ['INVALID_REQUEST', '订单金额或退款金额与之前请求不一致，请核实后再试'],
  TOTAL_MISMATCH: ['INVALID_REQUEST', '订单金额或退款金额与之前请求不一致，请核实后再试（total_fee须为原订单金额）'],
  TOO_MANY: ['ERROR', '该订单部分退款次数已超过50次'],
  OVER_REFUND: ['INVALID_REQUEST', '申请退款金额超过订单可退金额'],
};

function refund(call: Call): SandboxResponse {
  const { fields, merchant, state } = call;
  const absent = missing(call, ['out_refund_no', 'total_fee', 'refund_fee']);
  if (absent) return absent;
  if (!fields.transaction_id && !fields.out_trade_no) return lack(call, 'out_trade_no或transaction_id');
  if (!/^[0-9A-Za-z_\-|*@]{1,64}$/.test(given(fields, 'out_refund_no')))
    return param(call, 'out_refund_no须为64位以内的数字、字母或_-|*@');
  for (const name of ['total_fee', 'refund_fee'])
    if (!/^[1-9]\d{0,14}$/.test(given(fields, name))) return param(call, `${name}须为正整数，单位为分`);
  let notifyUrl: string | undefined;
  if (fields.notify_url) {
    const notify = parseNotifyUrl(fields.notify_url);
    if (typeof notify === 'string') return param(call, `notify_url有误：${notify}`);
    notifyUrl = notify.href;
  }
  const trade = findTrade(call);
  if (!trade) return bizFail(merchant, fields, call.signType, 'ORDERNOTEXIST', '订单不存在');
  const result = state.trades.refund(trade, {
    outRefundNo: given(fields, 'out_refund_no'),
    amount: Number(fields.refund_fee),
    total: Number(fields.total_fee),
    notifyUrl,
    reason: fields.refund_desc,
    notifyApi: 'v2',
  });
  if ('error' in result) {
    const [code, description] = REFUND_ERRORS[result.error];
    return bizFail(merchant, fields, call.signType, code, description);
  }
  if (result.created) scheduleRefundCompletion(state, trade, result.refund);
  const r = result.refund;
  return reply(merchant, fields, call.signType, {
    result_code: 'SUCCESS',
    transaction_id: trade.transactionId,
    out_trade_no: trade.outTradeNo,
    out_refund_no: r.outRefundNo,
    refund_id: r.refundId,
    refund_fee: String(r.amount),
    settlement_refund_fee: String(r.amount),
    total_fee: String(trade.total),
    settlement_total_fee: String(trade.total),
    fee_type: trade.currency,
    cash_fee: String(trade.total),
    cash_refund_fee: String(r.amount),
  });
}

function refundQuery(call: Call): SandboxResponse {
  const { fields, merchant, state } = call;
  let found: { trade: Trade; refunds: Refund[] } | undefined;
  if (fields.out_refund_no) {
    const hit = state.trades.findRefund(merchant, fields.out_refund_no);
    if (hit) found = { trade: hit.trade, refunds: [hit.refund] };
  } else if (fields.refund_id) {
    for (const trade of state.trades.all()) {
      const hit = trade.merchant === merchant ? trade.refunds.find((r) => r.refundId === fields.refund_id) : undefined;
      if (hit) found = { trade, refunds: [hit] };
    }
  } else if (fields.transaction_id || fields.out_trade_no) {
    const trade = findTrade(call);
    if (trade?.refunds.length) found = { trade, refunds: trade.refunds };
  } else {
    return lack(call, 'out_refund_no、refund_id、out_trade_no或transaction_id');
  }
  if (!found) return bizFail(merchant, fields, call.signType, 'REFUNDNOTEXIST', 'not exist');
  const { trade, refunds } = found;
  const out: Record<string, string | undefined> = {
    result_code: 'SUCCESS',
    transaction_id: trade.transactionId,
    out_trade_no: trade.outTradeNo,
    total_fee: String(trade.total),
    cash_fee: String(trade.total),
    refund_count: String(refunds.length),
    total_refund_count: String(trade.refunds.length),
  };
  refunds.forEach((r, n) => {
    Object.assign(out, {
      [`out_refund_no_${n}`]: r.outRefundNo,
      [`refund_id_${n}`]: r.refundId,
      [`refund_channel_${n}`]: 'ORIGINAL',
      [`refund_fee_${n}`]: String(r.amount),
      [`settlement_refund_fee_${n}`]: String(r.amount),
      [`refund_status_${n}`]: r.status,
      [`refund_account_${n}`]: 'REFUND_SOURCE_UNSETTLED_FUNDS',
      [`refund_recv_accout_${n}`]: '支付用户的零钱',
      [`refund_success_time_${n}`]: r.successTime ? beijingDateTime(r.successTime) : undefined,
    });
  });
  return reply(merchant, fields, call.signType, out);
}

const ROUTES: Record<string, (call: Call) => SandboxResponse> = {
  '/pay/unifiedorder': unifiedOrder,
  '/pay/orderquery': orderQuery,
  '/pay/closeorder': closeOrder,
  '/secapi/pay/refund': refund,
  '/pay/refundquery': refundQuery,
  '/pay/downloadbill': (call) => v2DownloadBill(call.state, call.merchant, call.fields),
};

/** True for the v2 paths this simulator serves. */
export function isV2Path(path: string): boolean {
  return path in ROUTES;
}

/**
 * `/secapi/*` is mutual TLS: only on the HTTPS listener, with a client certificate issued by the
 * sandbox CA (nginx-style 400 pages otherwise, as a TLS front end answers). Returns the
 * fingerprint of the accepted certificate.
 */
function clientCertificate(req: WxRequest): { fingerprint: string } | { error: SandboxResponse } {
  if (!req.tls)
    return {
      error: text(
        400,
        '400 The plain HTTP request was sent to HTTPS port: /secapi/* needs HTTPS with the merchant client certificate (apiclient_cert.p12)',
      ),
    };
  if (!req.tls.fingerprint256)
    return {
      error: text(
        400,
        '400 No required SSL certificate was sent: /secapi/* needs the merchant client certificate (apiclient_cert.p12, passphrase = mchid)',
      ),
    };
  if (!req.tls.authorized)
    return {
      error: text(
        400,
        '400 The SSL certificate error: the client certificate was not issued by WeChat Pay (this sandbox)',
      ),
    };
  return { fingerprint: req.tls.fingerprint256 };
}

/** Handles one v2 call: transport checks, XML, merchant, signature, then the operation. */
export async function handleV2(req: WxRequest, state: SimState): Promise<SandboxResponse> {
  const operation = ROUTES[req.path];
  if (!operation) return { status: 404 };
  let certificate: string | undefined;
  if (req.path.startsWith('/secapi/')) {
    const tls = clientCertificate(req);
    if ('error' in tls) return tls.error;
    certificate = tls.fingerprint;
  }
  if (req.method !== 'POST') return fail('请使用post方法');
  if (req.body.length === 0) return fail('post数据为空');
  let fields: Fields;
  try {
    fields = parseFlatXml(req.body.toString('utf8'));
  } catch (error) {
    if (error instanceof XmlError) return fail(`XML格式错误: ${error.message}`);
    throw error;
  }
  const merchant = state.merchants.get(fields.mch_id ?? '');
  // Without a known merchant there is no key to check against: WeChat says "signature error".
  if (!merchant) return fail('签名错误');
  if (certificate && certificate !== merchant.certificate.x509.fingerprint256)
    return fail('证书与商户号不匹配：请使用本商户号的API证书（apiclient_cert.p12）');
  const stated = fields.sign_type;
  if (stated !== undefined && stated !== 'MD5' && stated !== 'HMAC-SHA256')
    return fail('sign_type参数格式错误，只支持MD5和HMAC-SHA256');
  const signType: V2SignType = stated ?? 'MD5';
  if (signType !== merchant.signType) {
    return fail(
      `签名错误：本商户配置的签名类型为${merchant.signType}，请求按${signType}签名${stated ? '' : '（未传sign_type时按MD5）'}`,
    );
  }
  if (!fields.sign || !v2Verify(fields, merchant.apiV2Key, signType)) return fail('签名错误');
  if (!fields.nonce_str || fields.nonce_str.length > 32) return fail('nonce_str参数错误：须为32位以内的随机字符串');
  const call: Call = { merchant, fields, signType, state };
  if (!Object.values(merchant.appIds).includes(fields.appid ?? ''))
    return bizFail(merchant, fields, signType, 'APPID_MCHID_NOT_MATCH', 'appid和mch_id不匹配');
  const fault = takeFault(state, req.path);
  if (fault) {
    if (fault.status !== 200)
      return {
        status: fault.status,
        headers: { 'content-type': 'text/xml; charset=utf-8' },
        body: buildFlatXml({ return_code: 'FAIL', return_msg: fault.message }),
      };
    return bizFail(merchant, fields, signType, fault.code, fault.message);
  }
  return operation(call);
}
