import { sign, verify, type KeyObject } from 'node:crypto';
import { AlipaySdk } from 'alipay-sdk';
import type { CheckoutInput, Provider } from '../../src/spi/provider.js';
import type { CoreRequest, Order } from '../../src/spi/types.js';
import { alipay } from '../../src/providers/alipay/index.js';
import {
  ALIPAY_CONTENT_TYPE,
  alipayNotifyFields,
  APP_ID,
  AMOUNT_FEN,
  formBody,
  SELLER_ID,
  signNotifySync,
  v1String,
} from '../alipay-input.js';
import { beijingTime, fenFromYuan, type PaidFacts } from '../bare-facts.js';
import type { RsaPair } from '../keys.js';
import { beijing, check, PEER_WEIGHT, providerEnv, type Section } from '../section.js';

const GATEWAY = 'https://openapi.alipay.com/gateway.do';
const NOW = new Date('2026-11-25T09:50:00Z');
const ORDER: Order = { id: 'ORDER20261125000001', amount: AMOUNT_FEN, subject: '测试商品 - 年度会员 & 礼包' };
const URLS = {
  notifyUrl: 'https://shop.example.com/pay/notify/alipay',
  refundNotifyUrl: 'https://shop.example.com/pay/notify/alipay/refund',
  returnUrl: 'https://shop.example.com/pay/return/alipay',
};
const QUIT_URL = `https://shop.example.com/pay/result?orderId=${ORDER.id}&provider=alipay`;
const TRADE = { tradeNo: ORDER.id, resultUrl: QUIT_URL };

/** Request rule: every parameter but `sign` (sign_type included), sorted, raw values. */
function requestString(params: Readonly<Record<string, string>>): string {
  return Object.keys(params)
    .filter((k) => k !== 'sign' && params[k] !== '')
    .sort()
    .map((k) => `${k}=${params[k]}`)
    .join('&');
}

const encode = (params: Readonly<Record<string, string>>): string =>
  Object.entries(params)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&');

/** True when a signed request (URL query or orderString) verifies with the app's public key. */
function requestVerifies(query: string, appPublic: KeyObject): boolean {
  const params: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(query)) params[k] = v;
  return (
    !!params.sign &&
    verify('sha256', Buffer.from(requestString(params), 'utf8'), appPublic, Buffer.from(params.sign, 'base64'))
  );
}

/** What a bare implementation signs for a WAP or APP payment: the same parameters paymount sends. */
function bareParams(
  method: string,
  extra: Record<string, string>,
  biz: Record<string, string>,
): Record<string, string> {
  return {
    app_id: APP_ID,
    method,
    format: 'JSON',
    charset: 'utf-8',
    sign_type: 'RSA2',
    timestamp: beijing(NOW),
    version: '1.0',
    ...extra,
    biz_content: JSON.stringify(biz),
  };
}

/** The same with the callback form of crypto.sign (thread pool), as paymount signs. */
function bareRequestAsync(
  appKey: KeyObject,
  method: string,
  extra: Record<string, string>,
  biz: Record<string, string>,
): Promise<Record<string, string>> {
  const params = bareParams(method, extra, biz);
  return new Promise((resolve, reject) =>
    sign('sha256', Buffer.from(requestString(params), 'utf8'), appKey, (error, signature) => {
      if (error) {
        reject(error);
        return;
      }
      params.sign = signature.toString('base64');
      resolve(params);
    }),
  );
}

function bareRequest(
  appKey: KeyObject,
  method: string,
  extra: Record<string, string>,
  biz: Record<string, string>,
): Record<string, string> {
  const params = bareParams(method, extra, biz);
  params.sign = sign('sha256', Buffer.from(requestString(params), 'utf8'), appKey).toString('base64');
  return params;
}

function wapBiz(): Record<string, string> {
  return {
    out_trade_no: ORDER.id,
    total_amount: '88.88',
    subject: ORDER.subject,
    product_code: 'QUICK_WAP_WAY',
    quit_url: QUIT_URL,
  };
}

function appBiz(): Record<string, string> {
  return { out_trade_no: ORDER.id, total_amount: '88.88', subject: ORDER.subject, product_code: 'QUICK_MSECURITY_PAY' };
}

interface AlipayKeys {
  app: RsaPair;
  alipay: RsaPair;
}

function setup(keys: AlipayKeys): { provider: Provider; sdk: AlipaySdk } {
  const provider = alipay({
    appId: APP_ID,
    privateKey: keys.app.privatePem,
    alipayPublicKey: keys.alipay.publicPem,
    sellerId: SELLER_ID,
  }).setup(providerEnv(() => NOW));
  const sdk = new AlipaySdk({
    appId: APP_ID,
    privateKey: keys.app.privatePem,
    alipayPublicKey: keys.alipay.publicPem,
    keyType: 'PKCS8',
    gateway: GATEWAY,
  });
  return { provider, sdk };
}

/** Notify verification: 26 fields from the raw form body to a verified result. */
export async function alipayNotifySection(keys: AlipayKeys): Promise<Section> {
  const { provider, sdk } = setup(keys);
  const body = Buffer.from(formBody(signNotifySync(alipayNotifyFields(ORDER.id), keys.alipay.privateKey)), 'utf8');
  const req: CoreRequest = {
    method: 'POST',
    path: '/notify/alipay',
    query: new URLSearchParams(),
    headers: { 'content-type': ALIPAY_CONTENT_TYPE },
    rawBody: body,
  };
  const alipayPublic = keys.alipay.publicKey;

  const bare = (): PaidFacts => {
    const fields: Record<string, string> = {};
    for (const [k, v] of new URLSearchParams(body.toString('utf8'))) fields[k] = v;
    if (fields.sign_type !== 'RSA2' || !fields.sign) throw new Error('not an RSA2 notify');
    if (!verify('sha256', Buffer.from(v1String(fields), 'utf8'), alipayPublic, Buffer.from(fields.sign, 'base64')))
      throw new Error('signature');
    if (fields.trade_status !== 'TRADE_SUCCESS' && fields.trade_status !== 'TRADE_FINISHED') throw new Error('unpaid');
    return {
      orderId: fields.out_trade_no!,
      transactionId: fields.trade_no!,
      amount: fenFromYuan(fields.total_amount),
      paidAt: beijingTime(fields.gmt_payment),
      foreign: fields.app_id !== APP_ID || fields.seller_id !== SELLER_ID,
    };
  };
  const viaSdk = (): boolean => sdk.checkNotifySignV2(Object.fromEntries(new URLSearchParams(body.toString('utf8'))));

  const checks: string[] = [];
  const event = await provider.parseNotify(req, 'payment');
  check(
    checks,
    `paymount parseNotify → ${event.type} (${event.type === 'paid' ? `${event.amount} fen` : ''})`,
    event.type === 'paid' && event.amount === AMOUNT_FEN,
  );
  check(checks, 'bare verify + facts → 8888 fen, this merchant', bare().amount === AMOUNT_FEN && !bare().foreign);
  check(checks, 'alipay-sdk checkNotifySignV2 → true', viaSdk());
  // A tampered body must fail everywhere, or the timed path is not a verification.
  const tampered = Buffer.from(body.toString('utf8').replace('total_amount=88.88', 'total_amount=0.01'), 'utf8');
  const rejected = await provider.parseNotify({ ...req, rawBody: tampered }, 'payment').then(
    () => false,
    () => true,
  );
  check(checks, 'paymount rejects the same notify with total_amount changed', rejected);

  return {
    title: `Alipay notify verify (26 fields, ${body.length} B form body)`,
    note:
      'bare: URLSearchParams over the raw body, sign_type, sorted V1 string, one crypto.verify with a cached ' +
      'KeyObject, ' +
      'then the facts Alipay tells merchants to check (trade_status, total_amount in fen, gmt_payment, app_id and ' +
      'seller_id). alipay-sdk gets the same body parsed by URLSearchParams.',
    cases: [
      {
        id: 'alipay.notify.paymount',
        label: 'paymount `provider.parseNotify`',
        run: () => provider.parseNotify(req, 'payment'),
      },
      { id: 'alipay.notify.bare', label: 'bare node:crypto', run: bare },
      { id: 'alipay.notify.sdk', label: 'alipay-sdk 4.14.0 `checkNotifySignV2`', run: viaSdk, weight: PEER_WEIGHT },
    ],
    comparisons: [
      { subject: 'alipay.notify.paymount', baseline: 'alipay.notify.bare', target: 0.9 },
      { subject: 'alipay.notify.sdk', baseline: 'alipay.notify.bare' },
    ],
    checks,
  };
}

/** WAP pay URL and APP orderString: one RSA-2048 sign each. */
export async function alipaySignSections(keys: AlipayKeys): Promise<Section[]> {
  const { provider, sdk } = setup(keys);
  const appKey = keys.app.privateKey;
  const appPublic = keys.app.publicKey;
  const wapInput: CheckoutInput = { order: ORDER, channel: 'wap', ...URLS, ...TRADE };
  const appInput: CheckoutInput = { order: ORDER, channel: 'app', ...URLS, ...TRADE };

  const paymountWap = async (): Promise<string> => {
    const out = await provider.checkout(wapInput);
    return out.result.type === 'redirect' ? out.result.url : '';
  };
  const wapUrls = { notify_url: URLS.notifyUrl, return_url: URLS.returnUrl };
  const bareWap = (): string => `${GATEWAY}?${encode(bareRequest(appKey, 'alipay.trade.wap.pay', wapUrls, wapBiz()))}`;
  const bareWapAsync = async (): Promise<string> =>
    `${GATEWAY}?${encode(await bareRequestAsync(appKey, 'alipay.trade.wap.pay', wapUrls, wapBiz()))}`;
  const sdkWap = (): string =>
    sdk.pageExecute('alipay.trade.wap.pay', 'GET', {
      bizContent: wapBiz(),
      notifyUrl: URLS.notifyUrl,
      returnUrl: URLS.returnUrl,
    });

  const paymountApp = async (): Promise<string> => {
    const out = await provider.checkout(appInput);
    return out.result.type === 'app' ? out.result.params.orderString! : '';
  };
  const bareApp = (): string =>
    encode(bareRequest(appKey, 'alipay.trade.app.pay', { notify_url: URLS.notifyUrl }, appBiz()));
  const bareAppAsync = async (): Promise<string> =>
    encode(await bareRequestAsync(appKey, 'alipay.trade.app.pay', { notify_url: URLS.notifyUrl }, appBiz()));
  const sdkApp = (): string =>
    sdk.sdkExecute('alipay.trade.app.pay', { bizContent: appBiz(), notifyUrl: URLS.notifyUrl });

  const queryOf = (url: string) => url.slice(url.indexOf('?') + 1);
  const wapChecks: string[] = [];
  check(
    wapChecks,
    'paymount WAP URL verifies with the app public key',
    requestVerifies(queryOf(await paymountWap()), appPublic),
  );
  check(wapChecks, 'bare WAP URL verifies', requestVerifies(queryOf(bareWap()), appPublic));
  check(wapChecks, 'bare async WAP URL verifies', requestVerifies(queryOf(await bareWapAsync()), appPublic));
  check(wapChecks, 'alipay-sdk pageExecute URL verifies', requestVerifies(queryOf(sdkWap()), appPublic));
  const appChecks: string[] = [];
  check(
    appChecks,
    'paymount orderString verifies with the app public key',
    requestVerifies(await paymountApp(), appPublic),
  );
  check(appChecks, 'bare orderString verifies', requestVerifies(bareApp(), appPublic));
  check(appChecks, 'bare async orderString verifies', requestVerifies(await bareAppAsync(), appPublic));
  check(appChecks, 'alipay-sdk sdkExecute orderString verifies', requestVerifies(sdkApp(), appPublic));

  const note =
    'bare: the same parameters, sorted request string, one crypto.sign with a cached KeyObject, either with a ' +
    'callback (on the libuv pool, awaited) or synchronously. paymount signs with the callback form so that a ' +
    '0.7 ms RSA-2048 sign never blocks the event loop; the callback form is therefore the baseline that does the ' +
    'same work, and the ratio to the synchronous form shows what the hand-off to the pool costs on one core.';
  return [
    {
      title: 'Alipay WAP pay URL (`alipay.trade.wap.pay`, GET)',
      note,
      cases: [
        { id: 'alipay.wap.paymount', label: 'paymount `provider.checkout` (wap)', run: paymountWap },
        { id: 'alipay.wap.bareAsync', label: 'bare node:crypto, callback sign on the pool', run: bareWapAsync },
        { id: 'alipay.wap.bare', label: 'bare node:crypto, synchronous sign', run: bareWap },
        { id: 'alipay.wap.sdk', label: "alipay-sdk `pageExecute(…, 'GET', …)`", run: sdkWap, weight: PEER_WEIGHT },
      ],
      comparisons: [
        { subject: 'alipay.wap.paymount', baseline: 'alipay.wap.bareAsync', target: 0.9 },
        { subject: 'alipay.wap.paymount', baseline: 'alipay.wap.bare' },
        { subject: 'alipay.wap.bareAsync', baseline: 'alipay.wap.bare' },
        { subject: 'alipay.wap.sdk', baseline: 'alipay.wap.bare' },
      ],
      checks: wapChecks,
      everyTurn: true,
    },
    {
      title: 'Alipay APP orderString (`alipay.trade.app.pay`)',
      note,
      cases: [
        { id: 'alipay.app.paymount', label: 'paymount `provider.checkout` (app)', run: paymountApp },
        { id: 'alipay.app.bareAsync', label: 'bare node:crypto, callback sign on the pool', run: bareAppAsync },
        { id: 'alipay.app.bare', label: 'bare node:crypto, synchronous sign', run: bareApp },
        { id: 'alipay.app.sdk', label: 'alipay-sdk `sdkExecute`', run: sdkApp, weight: PEER_WEIGHT },
      ],
      comparisons: [
        { subject: 'alipay.app.paymount', baseline: 'alipay.app.bareAsync', target: 0.9 },
        { subject: 'alipay.app.paymount', baseline: 'alipay.app.bare' },
        { subject: 'alipay.app.bareAsync', baseline: 'alipay.app.bare' },
        { subject: 'alipay.app.sdk', baseline: 'alipay.app.bare' },
      ],
      checks: appChecks,
      everyTurn: true,
    },
  ];
}
