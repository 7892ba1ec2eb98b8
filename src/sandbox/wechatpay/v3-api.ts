import type { SandboxResponse } from '../types.js';
import { gcmEncrypt } from './crypto.js';
import { scheduleRefundCompletion } from './notify.js';
import { takeFault, type SimState, type WxRequest } from './state.js';
import type { Merchant, RefundError, Trade } from './trades.js';
import { authenticate, v3Error, v3Signed } from './v3.js';
import { billDownload, fundFlowBill, tradeBill } from './bills.js';
import { refundJson, transactionJson } from './views.js';
import { h5Domains, OUT_TRADE_NO, parseNotifyUrl, parseRfc3339 } from './validate.js';

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function paramError(field: string, issue: string, value?: unknown): SandboxResponse {
  return v3Error(400, 'PARAM_ERROR', '参数错误', { field, value, issue, location: 'body' });
}

/** The JSON body, or a PARAM_ERROR naming what is wrong with it. */
function jsonBody(req: WxRequest): { json: Json } | { error: SandboxResponse } {
  if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
    return {
      error: v3Error(400, 'INVALID_REQUEST', 'Http头Content-Type值必须为application/json', {
        location: 'header',
        field: 'Content-Type',
        issue: `got "${req.headers['content-type'] ?? ''}"`,
      }),
    };
  }
  try {
    const parsed: unknown = JSON.parse(req.body.toString('utf8'));
    return isObject(parsed) ? { json: parsed } : { error: paramError('/', 'the body must be a JSON object') };
  } catch {
    return { error: paramError('/', 'the body is not valid JSON') };
  }
}

/** The mchid the body or query names must be the one that signed the request. */
function sameMerchant(merchant: Merchant, named: unknown, location: 'body' | 'query'): SandboxResponse | undefined {
  if (typeof named !== 'string' || named === '')
    return v3Error(400, 'PARAM_ERROR', '参数错误', { field: 'mchid', location, issue: 'mchid is required' });
  if (named !== merchant.mchId) {
    return v3Error(400, 'INVALID_REQUEST', '请求中的商户号与Http头Authorization中的商户号不一致', {
      field: 'mchid',
      value: named,
      location,
      issue: `Authorization was signed by mchid ${merchant.mchId}`,
    });
  }
  return undefined;
}

async function prepay(
  req: WxRequest,
  state: SimState,
  merchant: Merchant,
  kind: 'h5' | 'app' | 'jsapi',
): Promise<SandboxResponse> {
  const parsed = jsonBody(req);
  if ('error' in parsed) return parsed.error;
  const body = parsed.json;
  const wrongMerchant = sameMerchant(merchant, body.mchid, 'body');
  if (wrongMerchant) return wrongMerchant;
  const {
    appid,
    description,
    out_trade_no: outTradeNo,
    notify_url: notifyUrl,
    amount,
    attach,
    time_expire: timeExpire,
    scene_info: scene,
  } = body;
  if (typeof appid !== 'string' || !appid) return paramError('/appid', 'appid is required');
  if (!Object.values(merchant.appIds).includes(appid))
    return v3Error(400, 'APPID_MCHID_NOT_MATCH', 'appid和mch_id不匹配，请检查后再试', {
      field: 'appid',
      value: appid,
      location: 'body',
    });
  if (kind === 'app' && appid !== merchant.appIds.app) {
    return v3Error(400, 'INVALID_REQUEST', 'APP支付请使用开放平台移动应用AppID', {
      field: 'appid',
      value: appid,
      location: 'body',
      issue: 'APP payment needs the Open Platform mobile-app AppID (appId.app), not the H5 one',
    });
  }
  let payerOpenid: string | undefined;
  if (kind === 'jsapi') {
    const payer = jsapiPayer(state, merchant, appid, body.payer);
    if (typeof payer !== 'string') return payer.error;
    payerOpenid = payer;
  }
  if (typeof description !== 'string' || description === '' || Array.from(description).length > 127)
    return paramError('/description', 'description is required, at most 127 characters');
  if (typeof outTradeNo !== 'string' || !OUT_TRADE_NO.test(outTradeNo))
    return paramError('/out_trade_no', 'out_trade_no must be 6-32 of [0-9A-Za-z_-|*]', outTradeNo);
  const notify = typeof notifyUrl === 'string' ? parseNotifyUrl(notifyUrl) : 'notify_url is required';
  if (typeof notify === 'string') return paramError('/notify_url', notify, notifyUrl);
  if (!isObject(amount)) return paramError('/amount', 'amount is required');
  if (typeof amount.total !== 'number' || !Number.isSafeInteger(amount.total) || amount.total < 1)
    return paramError(
      '/amount/total',
      'amount.total must be an integer number of fen ≥ 1 (not yuan, not a string)',
      amount.total,
    );
  if (amount.currency !== undefined && amount.currency !== 'CNY')
    return paramError('/amount/currency', 'currency must be CNY', amount.currency);
  if (attach !== undefined && (typeof attach !== 'string' || Array.from(attach).length > 128))
    return paramError('/attach', 'attach must be a string of at most 128 characters');
  let expiresAt: Date | undefined;
  if (timeExpire !== undefined) {
    expiresAt = typeof timeExpire === 'string' ? parseRfc3339(timeExpire) : undefined;
    if (!expiresAt)
      return paramError(
        '/time_expire',
        'time_expire must be RFC 3339 with an offset, e.g. 2018-06-08T10:34:56+08:00',
        timeExpire,
      );
    if (expiresAt.getTime() <= state.ctx.clock().getTime())
      return v3Error(400, 'INVALID_REQUEST', '订单已过期，time_expire早于当前时间', {
        field: 'time_expire',
        value: timeExpire,
        location: 'body',
      });
  }
  let clientIp: string | undefined;
  let appUrl: string | undefined;
  if (kind === 'h5') {
    if (!isObject(scene)) return paramError('/scene_info', 'scene_info is required for H5');
    if (typeof scene.payer_client_ip !== 'string' || scene.payer_client_ip === '')
      return paramError('/scene_info/payer_client_ip', "payer_client_ip is required: the buyer's IP");
    clientIp = scene.payer_client_ip;
    const h5 = scene.h5_info;
    if (!isObject(h5) || !['iOS', 'Android', 'Wap'].includes(h5.type as string))
      return paramError(
        '/scene_info/h5_info/type',
        'h5_info.type must be iOS, Android or Wap',
        isObject(h5) ? h5.type : undefined,
      );
    if (typeof h5.app_url === 'string') appUrl = h5.app_url;
  } else if (scene !== undefined && !isObject(scene)) {
    return paramError('/scene_info', 'scene_info must be an object');
  }
  const fault = takeFault(state, req.path);
  if (fault) return v3Error(fault.status, fault.code, fault.message);
  const result = state.trades.prepay(merchant, {
    appId: appid,
    tradeType: kind === 'h5' ? 'MWEB' : kind === 'app' ? 'APP' : 'JSAPI',
    outTradeNo,
    description,
    total: amount.total,
    currency: 'CNY',
    attach,
    notifyUrl: notify.href,
    clientIp,
    expiresAt,
    h5Domains: h5Domains(notify.href, appUrl),
    ...(payerOpenid ? { payerOpenid } : {}),
  });
  if ('error' in result) {
    if (result.error === 'ORDERPAID')
      return v3Error(400, 'ORDERPAID', '该订单已支付', { field: 'out_trade_no', value: outTradeNo, location: 'body' });
    if (result.error === 'ORDERCLOSED')
      return v3Error(400, 'ORDER_CLOSED', '订单已关闭', { field: 'out_trade_no', value: outTradeNo, location: 'body' });
    return v3Error(400, 'INVALID_REQUEST', '201 商户订单号重复', {
      field: 'out_trade_no',
      value: outTradeNo,
      location: 'body',
      issue:
        'OUT_TRADE_NO_USED: this out_trade_no was used with different parameters (amount, description, appid, attach or trade type)',
    });
  }
  const { trade } = result;
  if (kind !== 'h5') return v3Signed(state, merchant, 200, { prepay_id: trade.prepayId });
  const pkg = state.trades.issueTicket(trade);
  return v3Signed(state, merchant, 200, {
    h5_url: `${state.ctx.baseUrl}/cashier?prepay_id=${trade.prepayId}&package=${pkg}`,
  });
}

/**
 * The payer of a JSAPI prepay: the app id must be the official account or the mini-program, and
 * `payer.openid` an openid WeChat issued under that very app id (an openid is per app).
 */
function jsapiPayer(
  state: SimState,
  merchant: Merchant,
  appid: string,
  payer: unknown,
): string | { error: SandboxResponse } {
  if (appid !== merchant.appIds.jsapi && appid !== merchant.appIds.mini) {
    return {
      error: v3Error(400, 'INVALID_REQUEST', 'JSAPI支付请使用公众号或小程序的AppID', {
        field: 'appid',
        value: appid,
        location: 'body',
        issue: 'JSAPI needs the official account (appId.jsapi) or the mini-program (appId.mini)',
      }),
    };
  }
  const openid = isObject(payer) ? payer.openid : undefined;
  if (typeof openid !== 'string' || openid === '')
    return { error: paramError('/payer/openid', 'JSAPI支付必须传openid') };
  const owner = state.accounts.ownerOf(openid);
  if (!owner)
    return {
      error: v3Error(400, 'PARAM_ERROR', '无效的openid', { field: 'payer.openid', value: openid, location: 'body' }),
    };
  if (owner.appId !== appid) {
    return {
      error: v3Error(400, 'PARAM_ERROR', 'appid和openid不匹配', {
        field: 'payer.openid',
        value: openid,
        location: 'body',
        issue: `this openid was issued under ${owner.appId}, not ${appid}: an openid belongs to one app`,
      }),
    };
  }
  return openid;
}

function notFound(): SandboxResponse {
  return v3Error(404, 'ORDER_NOT_EXIST', '订单不存在');
}

async function query(
  req: WxRequest,
  state: SimState,
  merchant: Merchant,
  find: () => Trade | undefined,
): Promise<SandboxResponse> {
  const wrong = sameMerchant(merchant, req.query.get('mchid') ?? undefined, 'query');
  if (wrong) return wrong;
  const fault = takeFault(state, req.path);
  if (fault) return v3Error(fault.status, fault.code, fault.message);
  const trade = find();
  return trade ? v3Signed(state, merchant, 200, transactionJson(trade)) : notFound();
}

async function close(
  req: WxRequest,
  state: SimState,
  merchant: Merchant,
  outTradeNo: string,
): Promise<SandboxResponse> {
  const parsed = jsonBody(req);
  if ('error' in parsed) return parsed.error;
  const body = parsed.json;
  const wrong = sameMerchant(merchant, body.mchid, 'body');
  if (wrong) return wrong;
  const fault = takeFault(state, req.path);
  if (fault) return v3Error(fault.status, fault.code, fault.message);
  const trade = state.trades.get(merchant, outTradeNo);
  if (!trade) return notFound();
  if (state.trades.close(trade) === 'ORDERPAID')
    return v3Error(400, 'ORDERPAID', '该订单已支付，不能关闭，请使用退款', {
      field: 'out_trade_no',
      value: outTradeNo,
      location: 'path',
    });
  return v3Signed(state, merchant, 204);
}

const REFUND_ERRORS: Record<RefundError, [number, string, string]> = {
  NOT_PAID: [404, 'RESOURCE_NOT_EXISTS', '订单未支付，不能退款'],
  TRADE_OVERDUE: [400, 'TRADE_OVERDUE', '订单已超过退款期限（支付后一年）'],
  REPEAT_MISMATCH: [400, 'INVALID_REQUEST', '商户退款单号重复，但退款参数与原退款单不一致'],
  TOTAL_MISMATCH: [400, 'INVALID_REQUEST', '订单金额与原订单不一致：amount.total须为原订单金额'],
  TOO_MANY: [403, 'RULE_LIMIT', '该订单部分退款次数已超过50次'],
  OVER_REFUND: [400, 'INVALID_REQUEST', '申请退款金额超过订单可退金额'],
};

async function refund(req: WxRequest, state: SimState, merchant: Merchant): Promise<SandboxResponse> {
  const parsed = jsonBody(req);
  if ('error' in parsed) return parsed.error;
  const body = parsed.json;
  const {
    transaction_id: transactionId,
    out_trade_no: outTradeNo,
    out_refund_no: outRefundNo,
    amount,
    notify_url: notifyUrl,
    reason,
  } = body;
  if (typeof outRefundNo !== 'string' || !/^[0-9A-Za-z_\-|*@]{1,64}$/.test(outRefundNo))
    return paramError('/out_refund_no', 'out_refund_no is required: at most 64 of [0-9A-Za-z_-|*@]', outRefundNo);
  if (!isObject(amount)) return paramError('/amount', 'amount is required');
  for (const field of ['refund', 'total'] as const) {
    const value = amount[field];
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1)
      return paramError(`/amount/${field}`, `amount.${field} must be an integer number of fen ≥ 1`, value);
  }
  if (amount.currency !== 'CNY')
    return paramError('/amount/currency', 'amount.currency is required and must be CNY', amount.currency);
  let notify: URL | undefined;
  if (notifyUrl !== undefined) {
    const parsed = typeof notifyUrl === 'string' ? parseNotifyUrl(notifyUrl) : 'notify_url must be a string';
    if (typeof parsed === 'string') return paramError('/notify_url', parsed, notifyUrl);
    notify = parsed;
  }
  if (reason !== undefined && typeof reason !== 'string') return paramError('/reason', 'reason must be a string');
  let trade: Trade | undefined;
  if (typeof transactionId === 'string' && transactionId) trade = state.trades.byTransactionId(merchant, transactionId);
  else if (typeof outTradeNo === 'string' && outTradeNo) trade = state.trades.get(merchant, outTradeNo);
  else return paramError('/out_trade_no', 'one of transaction_id or out_trade_no is required');
  const fault = takeFault(state, req.path);
  if (fault) return v3Error(fault.status, fault.code, fault.message);
  if (!trade) return v3Error(404, 'RESOURCE_NOT_EXISTS', '订单不存在');
  const result = state.trades.refund(trade, {
    outRefundNo,
    amount: amount.refund as number,
    total: amount.total as number,
    notifyUrl: notify?.href,
    reason,
    notifyApi: 'v3',
  });
  if ('error' in result) {
    const [status, code, message] = REFUND_ERRORS[result.error];
    return v3Error(status, code, message, { field: 'out_refund_no', value: outRefundNo, location: 'body' });
  }
  if (result.created) scheduleRefundCompletion(state, trade, result.refund);
  return v3Signed(state, merchant, 200, refundJson(trade, result.refund));
}

async function refundQuery(
  req: WxRequest,
  state: SimState,
  merchant: Merchant,
  outRefundNo: string,
): Promise<SandboxResponse> {
  const fault = takeFault(state, req.path);
  if (fault) return v3Error(fault.status, fault.code, fault.message);
  const found = state.trades.findRefund(merchant, outRefundNo);
  return found
    ? v3Signed(state, merchant, 200, refundJson(found.trade, found.refund))
    : v3Error(404, 'RESOURCE_NOT_EXISTS', '退款单不存在');
}

/**
 * `/v3/certificates`: the listed platform certificates, each encrypted with the merchant's APIv3
 * key (AAD "certificate"), signed like any response. A public-key merchant has none (WeChat
 * Pay "微信支付公钥": such merchants verify with the public key, not with certificates).
 */
async function certificates(req: WxRequest, state: SimState, merchant: Merchant): Promise<SandboxResponse> {
  if (!req.headers['user-agent'] || !req.headers.accept)
    return v3Error(400, 'INVALID_REQUEST', 'Http头缺少Accept或User-Agent');
  const fault = takeFault(state, req.path);
  if (fault) return v3Error(fault.status, fault.code, fault.message);
  if (merchant.verification === 'public-key') {
    return v3Error(
      404,
      'RESOURCE_NOT_EXISTS',
      '无可用的平台证书，请在商户平台-API安全申请使用微信支付公钥。可查看指引https://pay.weixin.qq.com/docs/merchant/products/platform-certificate/wxp-pub-key-guide.html',
    );
  }
  const data = state.platform.listed().map((cert) => ({
    serial_no: cert.serial,
    effective_time: rfc3339(cert.x509.validFrom),
    expire_time: rfc3339(cert.x509.validTo),
    encrypt_certificate: gcmEncrypt(merchant.apiV3Key, cert.pem, 'certificate'),
  }));
  return v3Signed(state, merchant, 200, { data });
}

function rfc3339(openSslDate: string): string {
  const date = new Date(openSslDate);
  const shifted = new Date(date.getTime() + 8 * 3600_000);
  return `${shifted.toISOString().slice(0, 19)}+08:00`;
}

function decodeSegment(segment: string | undefined): string | undefined {
  if (segment === undefined) return undefined;
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/** Dispatches `/v3/*` after the Authorization check; 404/405 with empty bodies as WeChat. */
export async function handleV3(req: WxRequest, state: SimState): Promise<SandboxResponse> {
  const routes: [string, RegExp, (m: RegExpExecArray, merchant: Merchant) => Promise<SandboxResponse>][] = [
    ['POST', /^\/v3\/pay\/transactions\/h5$/, (_m, merchant) => prepay(req, state, merchant, 'h5')],
    ['POST', /^\/v3\/pay\/transactions\/app$/, (_m, merchant) => prepay(req, state, merchant, 'app')],
    ['POST', /^\/v3\/pay\/transactions\/jsapi$/, (_m, merchant) => prepay(req, state, merchant, 'jsapi')],
    [
      'GET',
      /^\/v3\/pay\/transactions\/out-trade-no\/([^/]+)$/,
      (m, merchant) => query(req, state, merchant, () => state.trades.get(merchant, decodeSegment(m[1]) ?? '')),
    ],
    [
      'GET',
      /^\/v3\/pay\/transactions\/id\/([^/]+)$/,
      (m, merchant) =>
        query(req, state, merchant, () => state.trades.byTransactionId(merchant, decodeSegment(m[1]) ?? '')),
    ],
    [
      'POST',
      /^\/v3\/pay\/transactions\/out-trade-no\/([^/]+)\/close$/,
      (m, merchant) => close(req, state, merchant, decodeSegment(m[1]) ?? ''),
    ],
    ['POST', /^\/v3\/refund\/domestic\/refunds$/, (_m, merchant) => refund(req, state, merchant)],
    [
      'GET',
      /^\/v3\/refund\/domestic\/refunds\/([^/]+)$/,
      (m, merchant) => refundQuery(req, state, merchant, decodeSegment(m[1]) ?? ''),
    ],
    ['GET', /^\/v3\/certificates$/, (_m, merchant) => certificates(req, state, merchant)],
    ['GET', /^\/v3\/bill\/tradebill$/, (_m, merchant) => tradeBill(req, state, merchant)],
    ['GET', /^\/v3\/bill\/fundflowbill$/, (_m, merchant) => fundFlowBill(req, state, merchant)],
    ['GET', /^\/v3\/billdownload\/file$/, (_m, merchant) => billDownload(req, state, merchant)],
  ];
  let pathMatched = false;
  for (const [method, pattern, run] of routes) {
    const m = pattern.exec(req.path);
    if (!m) continue;
    pathMatched = true;
    if (method !== req.method) continue;
    const auth = authenticate(req, state);
    if ('error' in auth) return auth.error;
    return run(m, auth.merchant);
  }
  return { status: pathMatched ? 405 : 404 };
}
