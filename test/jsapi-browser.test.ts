import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startShop, type RunningShop } from '../examples/shop/app.js';
import { createPayments, wechatpay, type WechatpayOptions } from '../src/index.js';
import { createShop, startApp, type RunningApp, type TestShop } from './helpers/shop.js';
import { WECHAT_UA } from './helpers/wechat-jsapi.js';

/**
 * The demo shop in a real Chromium that says it is WeChat's browser (WeChat's user agent, a
 * phone-sized screen): WeChat Pay goes through WeChat's sign-in (the sandbox's) to the page that
 * pays through `WeixinJSBridge` (the sandbox's stand-in), Alipay answers "open in your browser".
 * Then a plain Chromium uses the demo's "Open in WeChat" button. Screenshots land in
 * test-output/screenshots/.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const MISSING = `Chromium is not installed at ${CHROMIUM}: install it with \`apt-get install chromium\``;
const SHOTS = 'test-output/screenshots';
const present = existsSync(CHROMIUM);

let shop: RunningShop;
let profile: string | undefined;
const contexts: BrowserContext[] = [];

async function phone(userAgent?: string): Promise<BrowserContext> {
  const dir = mkdtempSync(join(profile!, 'ctx-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-sync'],
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    locale: 'zh-CN',
    ...(userAgent ? { userAgent } : {}),
  });
  contexts.push(context);
  return context;
}

let wechat: BrowserContext | undefined;
let plain: BrowserContext | undefined;

beforeAll(async () => {
  if (!present) {
    if (!process.env.CI) console.warn(`[jsapi-browser.test] skipped: ${MISSING}`);
    return;
  }
  mkdirSync(SHOTS, { recursive: true });
  shop = await startShop({ port: 0, timeScale: 0.0005 });
  profile = mkdtempSync(join(tmpdir(), 'paymount-wechat-'));
  wechat = await phone(WECHAT_UA);
  plain = await phone();
}, 60_000);

afterAll(async () => {
  for (const context of contexts) await context.close();
  if (present) await shop.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

function browser(context: BrowserContext | undefined, ctx: { skip(note?: string): never }): BrowserContext {
  if (context) return context;
  if (process.env.CI) throw new Error(MISSING);
  return ctx.skip(MISSING);
}

/** Buys the tea; answers the order id, on the order page. */
async function buy(page: Page): Promise<string> {
  await page.goto(shop.url);
  await page.click('#buy-tea');
  await page.waitForURL(/\/orders\/[^/]+$/);
  await expect.poll(() => page.textContent('#status')).toBe('pending');
  return decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
}

/** From the order page through WeChat's sign-in to the sheet the bridge shows on the page that pays. */
async function toSheet(page: Page): Promise<void> {
  await page.click('#pay-wechatpay');
  await page.waitForURL((url) => url.pathname === '/pay/checkout/wechatpay/callback' && url.searchParams.has('openid'));
  await page.locator('#wx-sandbox-pay').waitFor();
}

const deliveredFor = (orderId: string) => shop.sandbox.deliveries.filter((d) => d.orderId === orderId);

describe("the demo shop in WeChat's browser", () => {
  it('WeChat Pay: sign-in → the page → the bridge sheet → pay → the order page says paid', async (ctx) => {
    const page = await browser(wechat, ctx).newPage();
    try {
      const orderId = await buy(page);
      expect(await page.textContent('#in-wechat')).toContain('You are inside WeChat');
      const hops: string[] = [];
      page.on('request', (request) => {
        if (request.isNavigationRequest()) hops.push(request.url());
      });
      await toSheet(page);
      // The way there: the link, WeChat's authorize page, the callback with a code, the clean URL.
      expect(hops.some((url) => url.startsWith(`${shop.sandbox.url}/wechatpay/connect/oauth2/authorize?`))).toBe(true);
      expect(hops.some((url) => /\/pay\/checkout\/wechatpay\/callback\?orderId=[^&]+&code=/.test(url))).toBe(true);
      expect(await page.locator('[data-kind="invoke"] h1').textContent()).toBe('正在打开支付…');
      expect(await page.locator('#wx-sandbox-sheet').textContent()).toContain('¥128.00');
      await page.screenshot({ path: `${SHOTS}/wechat-jsapi-sheet.png` });
      await page.click('#wx-sandbox-pay');
      await page.waitForURL(`${shop.url}/orders/${encodeURIComponent(orderId)}`);
      await expect.poll(() => page.textContent('#status'), { timeout: 15_000 }).toBe('paid');
      expect((await page.textContent('#transaction'))?.trim()).toMatch(/^\d{28}$/);
      await page.screenshot({ path: `${SHOTS}/wechat-jsapi-paid.png`, fullPage: true });
    } finally {
      await page.close();
    }
  });

  it('WeChat Pay: cancel on the sheet → "Payment cancelled", still pending, nothing notified', async (ctx) => {
    const page = await browser(wechat, ctx).newPage();
    try {
      const orderId = await buy(page);
      await toSheet(page);
      await page.click('#wx-sandbox-cancel');
      // The payment sheet tells the page the buyer cancelled; the shop says so and keeps the order payable.
      await page.waitForURL(`${shop.url}/orders/${encodeURIComponent(orderId)}?outcome=cancelled`);
      expect(await page.textContent('#notice')).toBe('Payment cancelled — you can try again.');
      expect(await page.textContent('#status')).toBe('pending');
      expect(deliveredFor(orderId)).toHaveLength(0);
      await page.screenshot({ path: `${SHOTS}/wechat-jsapi-cancelled.png`, fullPage: true });
    } finally {
      await page.close();
    }
  });

  it('Alipay: the page asking to open the link in the browser, with the link', async (ctx) => {
    const page = await browser(wechat, ctx).newPage();
    try {
      const orderId = await buy(page);
      await page.click('#pay-alipay');
      await page.locator('[data-kind="in-app"]').waitFor();
      expect(await page.locator('h1').textContent()).toBe('请在浏览器中打开本页');
      expect(await page.locator('.card > p').first().textContent()).toContain('在浏览器打开');
      expect(await page.textContent('#link')).toBe(
        `${shop.url}/pay/checkout/alipay?orderId=${encodeURIComponent(orderId)}`,
      );
      await page.screenshot({ path: `${SHOTS}/wechat-alipay-open-in-browser.png` });
      expect(deliveredFor(orderId)).toHaveLength(0);
    } finally {
      await page.close();
    }
  });
});

describe('the demo\'s "Open in WeChat" button in a plain browser', () => {
  it('simulates WeChat: the sandbox asks to continue as a WeChat user, then the sheet pays', async (ctx) => {
    const page = await browser(plain, ctx).newPage();
    try {
      const orderId = await buy(page);
      await page.click('#open-in-wechat');
      await page.locator('#in-wechat').waitFor();
      await page.click('#pay-wechatpay');
      // Outside WeChat, WeChat's sign-in page says to open the link in WeChat; the sandbox offers to go on.
      await page.locator('#sandbox-in-wechat').waitFor();
      await page.screenshot({ path: `${SHOTS}/wechat-oauth-outside.png` });
      await page.click('#sandbox-in-wechat');
      await page.locator('#wx-sandbox-pay').waitFor();
      await page.click('#wx-sandbox-pay');
      await page.waitForURL(`${shop.url}/orders/${encodeURIComponent(orderId)}`);
      await expect.poll(() => page.textContent('#status'), { timeout: 15_000 }).toBe('paid');
      // Back out of the simulation: the shop is a plain browser's again.
      await page.goto(shop.url);
      await page.click('#leave-wechat');
      await page.locator('#open-in-wechat').waitFor();
      expect(await page.locator('#in-wechat').count()).toBe(0);
    } finally {
      await page.close();
    }
  });
});

/**
 * paymount alone (no demo shop), mounted in Express, as a shop would embed it: the checkout link in
 * Chromium with WeChat's user agent goes through the sign-in and the bridge to paymount's own result
 * page, for API v3 and API v2 — pay, cancel and fail, each landing on the page its outcome names.
 */
describe("a paymount checkout link in WeChat's browser, v3 and v2", () => {
  const running: RunningApp[] = [];
  afterAll(async () => {
    await Promise.all(running.map((app) => app.close()));
  });

  async function mount(options: WechatpayOptions): Promise<{ app: RunningApp; shop: TestShop }> {
    const app = await startApp('express');
    running.push(app);
    const shop = createShop();
    app.use(
      createPayments({
        publicUrl: app.publicUrl,
        providers: { wechatpay: wechatpay(options) },
        ...shop.hooks,
        logger: false,
      }),
    );
    return { app, shop };
  }

  let seq = 0;
  const versions = [
    { name: 'v3', options: () => shop.sandbox.wechatpay as WechatpayOptions, signType: 'RSA' },
    { name: 'v2 MD5', options: () => shop.sandbox.wechatpayV2 as WechatpayOptions, signType: 'MD5' },
    {
      name: 'v2 HMAC-SHA256',
      options: () => shop.sandbox.wechatpayV2Hmac as WechatpayOptions,
      signType: 'HMAC-SHA256',
    },
  ];
  const choices = [
    { button: '#wx-sandbox-pay', outcome: 'paid', paid: 1 },
    { button: '#wx-sandbox-cancel', outcome: 'cancelled', paid: 0 },
    { button: '#wx-sandbox-fail', outcome: 'failed', paid: 0 },
  ];

  it.for(versions)('$name: pay, cancel and fail each end on the result page that says so', async (version, ctx) => {
    const { app, shop: orders } = await mount(version.options());
    for (const choice of choices) {
      const page = await browser(wechat, ctx).newPage();
      try {
        const order = orders.addOrder({ id: `WX${version.name.replace(/\W/g, '')}${++seq}`, amount: 990 });
        const signTypes: string[] = [];
        page.on('request', (request) => {
          const body = request.postData();
          if (request.url().endsWith('/wechatpay/jsapi/invoke') && body)
            signTypes.push((JSON.parse(body) as { params: { signType: string } }).params.signType);
        });
        await page.goto(`${app.publicUrl}/checkout/wechatpay?orderId=${order.id}`);
        await page.locator(choice.button).waitFor();
        // The sheet came up: the bridge stand-in checked paySign as WeChat does, in this version's form.
        expect(signTypes).toEqual([version.signType]);
        await page.click(choice.button);
        await page.waitForURL((url) => url.pathname === '/pay/result');
        await expect
          .poll(() => page.locator('[data-kind="result"]').getAttribute('data-outcome'), { timeout: 15_000 })
          .toBe(choice.outcome);
        expect(orders.paid.filter((paid) => paid.orderId === order.id)).toHaveLength(choice.paid);
      } finally {
        await page.close();
      }
    }
  });
});
