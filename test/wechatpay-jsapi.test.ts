import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alipay, createPayments, wechatpay, type Payments, type WechatpayOptions } from '../src/index.js';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import { createShop, startApp, type Framework, type RunningApp, type TestShop } from './helpers/shop.js';
import { bridgePay, hop, pageState, SAFARI_UA, signInAndOpen } from './helpers/wechat-jsapi.js';

/**
 * WeChat Pay inside WeChat, end to end against the sandbox through real Express and Koa apps:
 * JSAPI checkout with an openid (POST /checkout), the checkout link that signs the buyer in with
 * WeChat's web OAuth and serves the page that pays, the mini-program channel, and every refusal.
 */

let sandbox: Sandbox;
const apps: RunningApp[] = [];

// Generous: the sandbox generates its keys at start, slow on a machine busy with other work.
beforeAll(async () => {
  sandbox = await startSandbox({ timeScale: 0.0005 });
}, 180_000);
afterAll(async () => {
  await Promise.all(apps.map((a) => a.close()));
  await (sandbox as Sandbox | undefined)?.close();
});

const sim = () => sandbox.simulators.wechatpay;
interface Variant {
  name: string;
  options: () => WechatpayOptions;
}
const variants: Variant[] = [
  { name: 'v3 public key', options: () => sandbox.wechatpay },
  { name: 'v3 platform certificates', options: () => sandbox.wechatpayV3Certificates },
  { name: 'v2 MD5', options: () => sandbox.wechatpayV2 },
  { name: 'v2 HMAC-SHA256', options: () => sandbox.wechatpayV2Hmac },
];
const ids = (options: WechatpayOptions) => options.appId as { wap: string; app: string; jsapi: string; mini: string };

let seq = 0;
const orderId = () => `JS${Date.now().toString(36)}${String(++seq).padStart(4, '0')}`;

async function shopApp(
  framework: Framework,
  options: WechatpayOptions,
  extra: { clock?: () => Date; alipay?: boolean } = {},
): Promise<{ app: RunningApp; shop: TestShop; payments: Payments }> {
  const app = await startApp(framework);
  apps.push(app);
  const shop = createShop();
  const payments = createPayments({
    publicUrl: app.publicUrl,
    providers: {
      wechatpay: wechatpay(options),
      ...(extra.alipay ? { alipay: alipay(sandbox.alipay) } : {}),
    },
    ...shop.hooks,
    ...(extra.clock ? { clock: extra.clock } : {}),
    logger: false,
  });
  app.use(payments);
  return { app, shop, payments };
}

/** What `POST /checkout` answers: a result with its parameters, or an error. */
interface CheckoutAnswer {
  type?: string;
  params: Record<string, string>;
  error: { code: string; message: string };
}

async function postCheckout(
  app: RunningApp,
  body: Record<string, unknown>,
): Promise<{ status: number; json: CheckoutAnswer }> {
  const res = await fetch(`${app.publicUrl}/checkout`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ provider: 'wechatpay', ...body }),
  });
  return { status: res.status, json: (await res.json()) as CheckoutAnswer };
}

const delivered = (id: string) =>
  sandbox.waitForDelivery((d) => d.provider === 'wechatpay' && d.orderId === id && d.acknowledged, 15_000);

let users = 0;
const newUser = () => `buyer${++users}`;

describe.each(variants)('JSAPI with $name', (variant) => {
  it.each(['express', 'koa'] as const)(
    'on %s, a link opened in WeChat: OAuth → callback → the page → the bridge pays → return → paid once',
    async (framework) => {
      const options = variant.options();
      const { app, shop } = await shopApp(framework, options);
      const order = shop.addOrder({ id: orderId(), amount: 2345, subject: '龙井茶 JSAPI' });
      const user = newUser();
      const flow = await signInAndOpen(`${app.publicUrl}/checkout/wechatpay?orderId=${order.id}`, user);

      // WeChat's authorize URL, parameters in the documented order, #wechat_redirect last.
      expect(flow.authorize.origin + flow.authorize.pathname).toBe(`${sandbox.url}/wechatpay/connect/oauth2/authorize`);
      expect([...flow.authorize.searchParams.keys()]).toEqual([
        'appid',
        'redirect_uri',
        'response_type',
        'scope',
        'state',
      ]);
      expect(flow.authorize.searchParams.get('appid')).toBe(ids(options).jsapi);
      expect(flow.authorize.searchParams.get('scope')).toBe('snsapi_base');
      expect(flow.authorize.searchParams.get('redirect_uri')).toBe(
        `${app.publicUrl}/checkout/wechatpay/callback?orderId=${order.id}`,
      );
      expect(flow.authorize.searchParams.get('state')).toMatch(/^[A-Za-z0-9]{1,128}$/);
      expect(flow.authorize.hash).toBe('#wechat_redirect');
      // The clean URL names the payer, not the spent code.
      const clean = new URL(flow.clean);
      expect(clean.searchParams.has('code')).toBe(false);
      expect(clean.searchParams.get('openid')).toBe(sim().openid(ids(options).jsapi, user));

      // The page: the six parameters for getBrandWCPayRequest, the bridge loaded, localized.
      expect(pageState(flow.html).kind).toBe('invoke');
      expect(flow.html).toContain('Opening the payment');
      expect(flow.html).toContain(`src="${sandbox.url}/wechatpay/jsapi/bridge.js"`);
      const { params } = flow.data;
      expect(Object.keys(params).sort()).toEqual(['appId', 'nonceStr', 'package', 'paySign', 'signType', 'timeStamp']);
      expect(params.appId).toBe(ids(options).jsapi);
      expect(params.signType).toBe(options.v3 ? 'RSA' : (options.v2?.signType ?? 'MD5'));
      expect(params.package).toMatch(/^prepay_id=wx/);
      expect(params.timeStamp).toMatch(/^\d{10}$/);

      expect(await bridgePay(sandbox, { params, action: 'pay', user, url: flow.clean })).toEqual({
        err_msg: 'get_brand_wcpay_request:ok',
      });
      await delivered(order.id);
      // The page then goes to the return route, which asks WeChat Pay before it says paid.
      const back = await hop(flow.data.ok);
      expect(back.res.status).toBe(302);
      const result = await hop(back.location!);
      expect(pageState(result.body)).toMatchObject({ kind: 'result' });
      expect(result.body).toMatch(/data-outcome="paid"/);
      expect(shop.paid).toHaveLength(1);
      expect(shop.paid[0]).toMatchObject({ orderId: order.id, amount: 2345, channel: 'jsapi' });
      expect(shop.paid[0]!.payer).toBe(sim().openid(ids(options).jsapi, user));
    },
  );

  it('POST /checkout with channel jsapi and an openid: parameters the bridge pays; cancel pays nothing', async () => {
    const options = variant.options();
    const { app, shop, payments } = await shopApp('express', options);
    const order = shop.addOrder({ id: orderId(), amount: 990 });
    const user = newUser();
    const openid = sim().openid(ids(options).jsapi, user);
    const first = await postCheckout(app, { orderId: order.id, channel: 'jsapi', openid });
    expect(first.status, JSON.stringify(first.json)).toBe(200);
    expect(first.json).toMatchObject({ type: 'jsapi', provider: 'wechatpay', params: { appId: ids(options).jsapi } });
    // The same order and payer again: the same prepay, newly signed.
    const again = await postCheckout(app, { orderId: order.id, channel: 'jsapi', openid });
    expect(again.json.params.package).toBe(first.json.params.package);

    const page = `${app.origin}/shop/pay.html`;
    expect(await bridgePay(sandbox, { params: first.json.params, action: 'cancel', user, url: page })).toEqual({
      err_msg: 'get_brand_wcpay_request:cancel',
    });
    expect(await payments.query('wechatpay', order.id)).toMatchObject({ status: 'pending' });
    expect(await bridgePay(sandbox, { params: again.json.params, action: 'pay', user, url: page })).toEqual({
      err_msg: 'get_brand_wcpay_request:ok',
    });
    await delivered(order.id);
    expect(shop.paid).toHaveLength(1);
    expect(shop.paid[0]?.channel).toBe('jsapi');
  });

  it('mini-program: channel mini, the mini-program openid → wx.requestPayment → paid, reported as mini', async () => {
    const options = variant.options();
    const { app, shop } = await shopApp('koa', options);
    const order = shop.addOrder({ id: orderId(), amount: 1500 });
    const user = newUser();
    const openid = sim().openid(ids(options).mini, user);
    const { status, json } = await postCheckout(app, { orderId: order.id, channel: 'mini', openid });
    expect(status, JSON.stringify(json)).toBe(200);
    expect(json.params.appId).toBe(ids(options).mini);
    // A mini-program's prepay cannot be paid from a web page ("支付场景非法").
    const web = await bridgePay(sandbox, { params: json.params, action: 'pay', user, url: `${app.origin}/x` });
    expect(web.message).toMatch(/支付场景非法/);
    const { appId: _implied, ...requestPayment } = json.params;
    expect(await bridgePay(sandbox, { params: requestPayment, action: 'pay', user, scene: 'mini' })).toEqual({
      err_msg: 'requestPayment:ok',
    });
    await delivered(order.id);
    expect(shop.paid).toHaveLength(1);
    expect(shop.paid[0]?.channel).toBe('mini');
  });

  it('an openid of another app is refused at prepay, naming the cause; nothing is placed or paid', async () => {
    const options = variant.options();
    const { app, shop } = await shopApp('express', options);
    const order = shop.addOrder({ id: orderId(), amount: 700 });
    // The same person's openid under the merchant's mini-program, sent for the official account.
    const foreign = sim().openid(ids(options).mini, newUser());
    const { status, json } = await postCheckout(app, { orderId: order.id, channel: 'jsapi', openid: foreign });
    expect(status).toBe(502);
    expect(json.error.code).toBe('PROVIDER_REJECTED');
    expect(json.error.message).toMatch(options.v3 ? /appid和openid不匹配/ : /appid and openid not match/);
    expect(sim().trade(options.mchId, order.id)).toBeUndefined();
    expect(shop.paid).toHaveLength(0);
  });
});

describe('the sign-in refused', () => {
  const options = () => sandbox.wechatpay as WechatpayOptions;

  it('a forged or altered state → 400 page, no prepay, nothing paid', async () => {
    const { app, shop } = await shopApp('express', options());
    const order = shop.addOrder({ id: orderId(), amount: 100 });
    const other = shop.addOrder({ id: orderId(), amount: 100 });
    const link = await hop(`${app.publicUrl}/checkout/wechatpay?orderId=${order.id}`);
    const authorize = new URL(link.location!);
    const signedIn = await hop(authorize, { cookie: `sandbox_wechat_user=${newUser()}` });
    const callback = new URL(signedIn.location!);
    const state = callback.searchParams.get('state')!;
    for (const bad of [
      // one character of the MAC changed
      state.slice(0, -1) + (state.endsWith('0') ? '1' : '0'),
      // a later expiry with the old MAC
      String(Number(state.slice(0, 10)) + 3600) + state.slice(10),
      // a state made up
      'x'.repeat(74),
    ]) {
      const forged = new URL(callback);
      forged.searchParams.set('state', bad);
      const answer = await hop(forged);
      expect(answer.res.status).toBe(400);
      expect(pageState(answer.body)).toEqual({ kind: 'error', error: 'link' });
    }
    // The state of one order does not open another.
    const swapped = new URL(callback);
    swapped.searchParams.set('orderId', other.id);
    expect((await hop(swapped)).res.status).toBe(400);
    expect(sim().trade(options().mchId, order.id)).toBeUndefined();
    expect(sim().trade(options().mchId, other.id)).toBeUndefined();
    expect(shop.paid).toHaveLength(0);
  });

  it('an expired state → 400; a reused code → 400 (WeChat 40163); nothing paid', async () => {
    let now = Date.now();
    const { app, shop } = await shopApp('koa', options(), { clock: () => new Date(now) });
    const order = shop.addOrder({ id: orderId(), amount: 100 });
    const link = await hop(`${app.publicUrl}/checkout/wechatpay?orderId=${order.id}`);
    const signedIn = await hop(new URL(link.location!), { cookie: `sandbox_wechat_user=${newUser()}` });
    now += 6 * 60_000; // the state lives 5 minutes, as WeChat's code does
    const late = await hop(signedIn.location!);
    expect(late.res.status).toBe(400);
    expect(pageState(late.body).error).toBe('link');
    now -= 6 * 60_000;
    // Now in time: exchanged once, the second time WeChat refuses the spent code.
    const once = await hop(signedIn.location!);
    expect(once.res.status).toBe(302);
    const twice = await hop(signedIn.location!);
    expect(twice.res.status).toBe(400);
    expect(pageState(twice.body).error).toBe('link');
    // The clean URL works on reload, and its openid cannot be swapped.
    expect((await hop(once.location!)).res.status).toBe(200);
    expect((await hop(once.location!)).res.status).toBe(200);
    const swapped = new URL(once.location!);
    swapped.searchParams.set('openid', sim().openid(ids(options()).jsapi, newUser()));
    expect((await hop(swapped)).res.status).toBe(400);
    expect(shop.paid).toHaveLength(0);
  });

  it('a wrong appSecret: WeChat answers 40125, the buyer gets the provider page, nothing placed', async () => {
    const { app, shop } = await shopApp('express', { ...options(), appSecret: 'f'.repeat(32) });
    const order = shop.addOrder({ id: orderId(), amount: 100 });
    const link = await hop(`${app.publicUrl}/checkout/wechatpay?orderId=${order.id}`);
    const signedIn = await hop(new URL(link.location!), { cookie: `sandbox_wechat_user=${newUser()}` });
    const answer = await hop(signedIn.location!);
    expect(answer.res.status).toBe(502);
    expect(pageState(answer.body).error).toBe('provider');
    expect(sim().trade(options().mchId, order.id)).toBeUndefined();
    expect(shop.paid).toHaveLength(0);
  });

  it('the bridge refuses a tampered paySign, another WeChat user, a page outside the payment directory', async () => {
    const { app, shop } = await shopApp('express', options());
    const order = shop.addOrder({ id: orderId(), amount: 100 });
    const user = newUser();
    const flow = await signInAndOpen(`${app.publicUrl}/checkout/wechatpay?orderId=${order.id}`, user);
    const { params } = flow.data;
    const tampered = { ...params, paySign: params.paySign!.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) };
    const cases: [unknown, string, string, RegExp][] = [
      [tampered, user, flow.clean, /支付验证签名失败/],
      [{ ...params, signType: 'MD5' }, user, flow.clean, /支付验证签名失败/],
      [params, newUser(), flow.clean, /下单账号与支付账号不一致/],
      [params, user, 'https://elsewhere.example/pay', /当前页面的URL未注册/],
      [{ ...params, appId: ids(options()).wap }, user, flow.clean, /appid参数不正确/],
    ];
    for (const [p, who, url, message] of cases) {
      const answer = await bridgePay(sandbox, { params: p, action: 'pay', user: who, url });
      expect(answer.err_msg).toBe('get_brand_wcpay_request:fail');
      expect(answer.message).toMatch(message);
    }
    expect(sim().trade(options().mchId, order.id)?.state).toBe('NOTPAY');
    expect(shop.paid).toHaveLength(0);
  });
});

describe('outside WeChat, and other providers inside it', () => {
  it('the same WeChat Pay link outside WeChat keeps doing H5', async () => {
    const { app, shop } = await shopApp('express', sandbox.wechatpay);
    const order = shop.addOrder({ id: orderId(), amount: 100 });
    const answer = await hop(`${app.publicUrl}/checkout/wechatpay?orderId=${order.id}`, { 'user-agent': SAFARI_UA });
    expect(answer.res.status).toBe(302);
    expect(answer.location).toMatch(`${sandbox.url}/wechatpay/cashier?`);
  });

  it('Alipay inside WeChat answers "open in your browser" (zh-CN and en), and redirects elsewhere', async () => {
    const { app, shop } = await shopApp('express', sandbox.wechatpay, { alipay: true });
    const order = shop.addOrder({ id: orderId(), amount: 100 });
    const link = `${app.publicUrl}/checkout/alipay?orderId=${order.id}`;
    const en = await hop(link, { 'accept-language': 'en' });
    expect(en.res.status).toBe(200);
    expect(pageState(en.body).kind).toBe('in-app');
    expect(en.body).toContain('This payment method cannot be used inside WeChat');
    expect(en.body).toContain(`id="link">${link.replace(/&/g, '&amp;')}</p>`);
    const zh = await hop(link, { 'accept-language': 'zh-CN' });
    expect(zh.body).toContain('微信内无法使用这种支付方式');
    expect(zh.body).toContain('在浏览器打开');
    const outside = await hop(link, { 'user-agent': SAFARI_UA });
    expect(outside.res.status).toBe(302);
    expect(outside.location).toContain(`${sandbox.url}/alipay/`);
  });

  it('WeChat Pay without appSecret inside WeChat asks for the browser too (WeChat refuses H5 there)', async () => {
    const { appSecret: _none, ...withoutSecret } = sandbox.wechatpay as WechatpayOptions;
    const { app, shop } = await shopApp('koa', withoutSecret);
    const order = shop.addOrder({ id: orderId(), amount: 100 });
    const answer = await hop(`${app.publicUrl}/checkout/wechatpay?orderId=${order.id}`);
    expect(answer.res.status).toBe(200);
    expect(pageState(answer.body).kind).toBe('in-app');
  });
});

describe('channels and openids the core refuses', () => {
  it('openid missing for jsapi, openid on wap, a channel the provider lacks, an unknown channel', async () => {
    const { appId, appSecret: _secret, ...rest } = sandbox.wechatpay as WechatpayOptions;
    const only = { ...rest, appId: { wap: (appId as { wap: string }).wap } };
    const { app, shop } = await shopApp('express', only, { alipay: true });
    const order = shop.addOrder({ id: orderId(), amount: 100 });
    const full = await shopApp('express', sandbox.wechatpay);
    const order2 = full.shop.addOrder({ id: orderId(), amount: 100 });
    const cases: [RunningApp, Record<string, unknown>, number, string, RegExp][] = [
      [full.app, { orderId: order2.id, channel: 'jsapi' }, 400, 'REQUEST_INVALID', /needs the payer's openid/],
      [
        full.app,
        { orderId: order2.id, channel: 'wap', openid: 'oABC' },
        400,
        'REQUEST_INVALID',
        /openid is for channel/,
      ],
      [
        full.app,
        { orderId: order2.id, channel: 'jsapi', openid: 'o<script>' },
        400,
        'REQUEST_INVALID',
        /openid must be/,
      ],
      [app, { orderId: order.id, channel: 'mini', openid: 'oABC' }, 400, 'CHANNEL_UNSUPPORTED', /offers wap/],
      [
        app,
        { orderId: order.id, channel: 'jsapi', provider: 'alipay', openid: 'oABC' },
        400,
        'CHANNEL_UNSUPPORTED',
        /alipay/,
      ],
      [app, { orderId: order.id, channel: 'native' }, 400, 'REQUEST_INVALID', /channel must be one of/],
    ];
    for (const [target, body, status, code, message] of cases) {
      const { status: got, json } = await postCheckout(target, body);
      expect(got, JSON.stringify(body)).toBe(status);
      expect(json.error.code).toBe(code);
      expect(json.error.message).toMatch(message);
    }
    expect(shop.paid).toHaveLength(0);
  });
});

describe("the sandbox's WeChat OAuth", () => {
  const token = async (query: Record<string, string>) =>
    (await (await fetch(`${sandbox.url}/wechatpay/sns/oauth2/access_token?${new URLSearchParams(query)}`)).json()) as {
      errcode?: number;
      errmsg?: string;
      openid?: string;
    };
  const codeFor = async (appid: string, user: string) => {
    const query = new URLSearchParams({
      appid,
      redirect_uri: 'https://shop.example/cb?x=1',
      response_type: 'code',
      scope: 'snsapi_base',
      state: 'abc',
    });
    const answer = await hop(`${sandbox.url}/wechatpay/connect/oauth2/authorize?${query}`, {
      cookie: `sandbox_wechat_user=${user}`,
    });
    expect(answer.res.status, answer.body).toBe(302);
    const back = new URL(answer.location!);
    expect(back.searchParams.get('x')).toBe('1');
    expect(back.searchParams.get('state')).toBe('abc');
    return back.searchParams.get('code')!;
  };

  it('codes are single-use and per app; a wrong secret is 40125, an unknown app 40013', async () => {
    const appid = ids(sandbox.wechatpay).jsapi;
    const secret = sim().appSecret(appid);
    const user = newUser();
    const code = await codeFor(appid, user);
    expect(await token({ appid, secret: 'f'.repeat(32), code, grant_type: 'authorization_code' })).toMatchObject({
      errcode: 40125,
      errmsg: expect.stringMatching(/^invalid appsecret, rid: /) as unknown,
    });
    expect(await token({ appid: 'wx0000000000000000', secret, code, grant_type: 'authorization_code' })).toMatchObject({
      errcode: 40013,
    });
    // A refused call does not use the code up.
    expect(await token({ appid, secret, code, grant_type: 'authorization_code' })).toMatchObject({
      openid: sim().openid(appid, user),
    });
    expect(await token({ appid, secret, code, grant_type: 'authorization_code' })).toMatchObject({ errcode: 40163 });
    expect(await token({ appid, secret, code: 'nosuchcode', grant_type: 'authorization_code' })).toMatchObject({
      errcode: 40029,
    });
  });

  // A second sandbox starts here, its keys generated anew: the timeout is generous for a busy machine.
  it('a code expires after 5 minutes (40029); the authorize page checks app, scope, state and domain', async () => {
    let offset = 0;
    const timed = await startSandbox({ clock: () => new Date(Date.now() + offset) });
    try {
      const appid = ids(timed.wechatpay).jsapi;
      const query = new URLSearchParams({
        appid,
        redirect_uri: 'https://shop.example/cb',
        response_type: 'code',
        scope: 'snsapi_base',
        state: 's1',
      });
      const answer = await hop(`${timed.url}/wechatpay/connect/oauth2/authorize?${query}`);
      const code = new URL(answer.location!).searchParams.get('code')!;
      offset = 5 * 60_000;
      const secret = timed.simulators.wechatpay.appSecret(appid);
      const exchange = new URLSearchParams({ appid, secret, code, grant_type: 'authorization_code' });
      const late = await fetch(`${timed.url}/wechatpay/sns/oauth2/access_token?${exchange}`);
      expect(await late.json()).toMatchObject({ errcode: 40029 });

      const page = async (change: Record<string, string>, headers: Record<string, string> = {}) => {
        const q = new URLSearchParams(query);
        for (const [k, v] of Object.entries(change)) q.set(k, v);
        return hop(`${timed.url}/wechatpay/connect/oauth2/authorize?${q}`, headers);
      };
      expect((await page({ appid: ids(timed.wechatpay as WechatpayOptions).mini })).body).toContain('10005');
      expect((await page({ scope: 'snsapi_login' })).body).toContain('10005');
      expect((await page({ state: 'a-b' })).body).toContain('state参数错误');
      timed.simulators.wechatpay.oauthDomains = ['pay.example'];
      expect((await page({})).body).toContain('10003');
      timed.simulators.wechatpay.oauthDomains = undefined;
      const outside = await page({}, { 'user-agent': SAFARI_UA });
      expect(outside.res.status).toBe(200);
      expect(outside.body).toContain('请在微信客户端打开链接');
    } finally {
      await timed.close();
    }
  }, 180_000);
});

describe('the invoke and in-app pages', () => {
  it("keep a CSP: the page's nonce and the bridge's origin; the in-app page runs no script", async () => {
    const { app, shop } = await shopApp('express', sandbox.wechatpay, { alipay: true });
    const order = shop.addOrder({ id: orderId(), amount: 100 });
    const link = `${app.publicUrl}/checkout/wechatpay?orderId=${order.id}`;
    const flow = await signInAndOpen(link, newUser());
    const page = await hop(flow.clean);
    const policy = page.res.headers.get('content-security-policy')!;
    const nonce = /nonce="([^"]+)"/.exec(page.body)![1]!;
    expect(policy).toContain(`script-src 'nonce-${nonce}' ${sandbox.url}`);
    expect(policy).toContain("object-src 'none'");
    expect(policy).toContain("frame-ancestors 'none'");
    // WeChat's own bridge may use frames and requests the page cannot name: no default-src to block them.
    expect(policy).not.toContain('default-src');
    const inApp = await hop(`${app.publicUrl}/checkout/alipay?orderId=${order.id}`);
    const inAppPolicy = inApp.res.headers.get('content-security-policy')!;
    expect(inAppPolicy).toContain("default-src 'none'");
    expect(inAppPolicy).not.toContain('script-src');
    expect(inApp.body).not.toContain('<script');
  });

  it("hand a host's template their models: the script, its data and sources; the app's name and the link", async () => {
    const app = await startApp('koa');
    apps.push(app);
    const shop = createShop();
    const seen: unknown[] = [];
    const payments = createPayments({
      publicUrl: app.publicUrl,
      providers: { wechatpay: wechatpay(sandbox.wechatpay as WechatpayOptions), alipay: alipay(sandbox.alipay) },
      ...shop.hooks,
      pages: {
        render(page) {
          seen.push(page);
          if (page.kind !== 'invoke') return `<p data-kind="${page.kind}">${page.kind}</p>`;
          const data = JSON.stringify(page.invoke.data).replace(/</g, '\\u003c');
          return (
            `<button id="invoke">${page.texts.submit}</button>` +
            `<script type="application/json" id="invoke-data">${data}</script>` +
            page.invoke.sources.map((src) => `<script nonce="${page.nonce}" src="${src}"></script>`).join('') +
            `<script nonce="${page.nonce}">${page.invoke.script}</script>`
          );
        },
      },
      logger: false,
    });
    app.use(payments);
    const order = shop.addOrder({ id: orderId(), amount: 100 });
    const flow = await signInAndOpen(`${app.publicUrl}/checkout/wechatpay?orderId=${order.id}`, newUser());
    expect(flow.data.params.package).toMatch(/^prepay_id=/);
    const inApp = await hop(`${app.publicUrl}/checkout/alipay?orderId=${order.id}`, { 'accept-language': 'en' });
    expect(inApp.body).toBe('<p data-kind="in-app">in-app</p>');
    expect(seen.at(-2)).toMatchObject({
      kind: 'invoke',
      provider: 'wechatpay',
      orderId: order.id,
      invoke: { sources: [`${sandbox.url}/wechatpay/jsapi/bridge.js`], data: { params: { signType: 'RSA' } } },
    });
    expect(seen.at(-1)).toMatchObject({
      kind: 'in-app',
      provider: 'alipay',
      app: 'WeChat',
      link: `${app.publicUrl}/checkout/alipay?orderId=${order.id}`,
    });
  });
});
