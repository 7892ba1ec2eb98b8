import { existsSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPayments, unionpay, wechatpay, type Payments, type UnionpayOptions } from '../src/index.js';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import { createShop, startApp, type RunningApp, type TestShop } from './helpers/shop.js';
import { pageProvider, type PageProvider } from './helpers/page-provider.js';

/**
 * The buyer pages in a real Chromium at 390×844: back from the sandbox cashiers of WeChat Pay
 * (pay, cancel, fail) and UnionPay (the auto-posted form, with and without JavaScript; pay,
 * decline), a buyer leaving a cashier, and the closed, refunded and error pages. Each page is
 * screenshotted to test-output/screenshots/pages-*.png; no page may break its own
 * Content-Security-Policy or scroll sideways.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const MISSING = `Chromium is not installed at ${CHROMIUM}: install it with \`apt-get install chromium fonts-noto-cjk\``;
const SHOTS = 'test-output/screenshots';

let sandbox: Sandbox;
let app: RunningApp;
let shop: TestShop;
let testpay: PageProvider;
let payments: Payments;
let logo: Server;
let browser: Browser | undefined;
const contexts: BrowserContext[] = [];

const LOGO = `<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64">
<rect width="64" height="64" rx="14" fill="#b45309"/><path d="M16 26h28v8a14 14 0 0 1-28 0z" fill="#fff"/>
<path d="M44 28h4a5 5 0 0 1 0 10h-4" stroke="#fff" stroke-width="4" fill="none"/></svg>`;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) return;
  mkdirSync(SHOTS, { recursive: true });
  sandbox = await startSandbox({ timeScale: 0.0005 });
  logo = createServer((_req, res) => void res.writeHead(200, { 'content-type': 'image/svg+xml' }).end(LOGO));
  await new Promise<void>((resolve) => logo.listen(0, '127.0.0.1', resolve));
  app = await startApp('express');
  shop = createShop();
  testpay = pageProvider();
  payments = createPayments({
    publicUrl: app.publicUrl,
    providers: {
      wechatpay: wechatpay(sandbox.wechatpay),
      unionpay: unionpay(sandbox.unionpay as UnionpayOptions),
      testpay: testpay.definition,
    },
    ...shop.hooks,
    publicCheckout: true,
    newTradeNumbers: false,
    logger: false,
    pages: {
      shopName: '茶叶小店',
      color: '#b45309',
      logoUrl: `http://127.0.0.1:${(logo.address() as AddressInfo).port}/logo.svg`,
    },
  });
  app.use(payments);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
}, 60_000);

afterAll(async () => {
  for (const context of contexts) await context.close();
  await browser?.close();
  await app?.close();
  await sandbox?.close();
  logo?.close();
});

/** A phone-sized tab in `locale`, with JavaScript or without; CSP violations are collected. */
async function tab(
  ctx: { skip(note?: string): never },
  locale = 'zh-CN',
  javaScriptEnabled = true,
): Promise<{ page: Page; violations: string[] }> {
  if (!browser) return ctx.skip(MISSING);
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    locale,
    javaScriptEnabled,
  });
  contexts.push(context);
  const page = await context.newPage();
  const violations: string[] = [];
  page.on('console', (msg) => {
    if (/Content[ -]Security[ -]Policy/i.test(msg.text())) violations.push(msg.text());
  });
  return { page, violations };
}

/** Checks what every page must be at 390 px, and saves its screenshot. */
async function shoot(page: Page, violations: string[], name: string): Promise<void> {
  await page.locator('h1').waitFor();
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(width, `${name} scrolls sideways`).toBeLessThanOrEqual(390);
  const logoLoaded = await page.evaluate(() => {
    const img = document.querySelector('header img');
    return img instanceof HTMLImageElement ? img.complete && img.naturalWidth > 0 : null;
  });
  expect(logoLoaded, `${name}: the logo did not load`).not.toBe(false);
  await page.screenshot({ path: `${SHOTS}/pages-${name}.png` });
  expect(violations, name).toEqual([]);
}

const outcome = (page: Page) => page.locator('.card').getAttribute('data-outcome');
const heading = (page: Page) => page.locator('h1').textContent();

let seq = 0;
/** An order with an id a bit longer than most, to see it wrap. */
const order = (amount = 1280) =>
  shop.addOrder({ id: `TEA${Date.now().toString(36).toUpperCase()}${String(++seq).padStart(4, '0')}`, amount });

async function toWechatCashier(page: Page, id: string): Promise<void> {
  await page.goto(`${app.publicUrl}/checkout/wechatpay?orderId=${id}`);
  await page.locator('button[name="action"][value="pay"]').waitFor();
}

describe('buyer pages in Chromium (390×844)', () => {
  it('WeChat Pay: paid, then in English', async (ctx) => {
    const { page, violations } = await tab(ctx);
    const id = order().id;
    await toWechatCashier(page, id);
    await page.click('button[name="action"][value="pay"]');
    await page.waitForURL(/\/pay\/result\?/);
    expect(await outcome(page)).toBe('paid');
    expect(await heading(page)).toBe('支付成功');
    await shoot(page, violations, 'paid');

    const en = await tab(ctx, 'en-US');
    await en.page.goto(page.url());
    expect(await heading(en.page)).toBe('Payment received');
    await shoot(en.page, en.violations, 'paid-en');
  });

  it('WeChat Pay: cancel → pending, checked again by itself; after the last check, not paid yet', async (ctx) => {
    const { page, violations } = await tab(ctx);
    const id = order().id;
    await toWechatCashier(page, id);
    await page.click('button[name="action"][value="cancel"]');
    await page.waitForURL(/\/pay\/result\?/);
    expect(await outcome(page)).toBe('pending');
    expect(await page.locator('.note').textContent()).toBe('3 秒后自动刷新（第 1/5 次确认）');
    await shoot(page, violations, 'pending');
    // The meta refresh reloads the page with the next check's number.
    await page.waitForURL(/checks=1$/, { timeout: 10_000 });
    expect(await page.locator('.note').textContent()).toBe('3 秒后自动刷新（第 2/5 次确认）');

    await page.goto(`${app.publicUrl}/result?orderId=${id}&provider=wechatpay&checks=5`);
    expect(await heading(page)).toBe('暂未收到付款');
    expect(await page.locator('meta[http-equiv="refresh"]').count()).toBe(0);
    await shoot(page, violations, 'unpaid');
    // "Try again" goes back to the cashier.
    await page.click('#retry');
    await page.locator('button[name="action"][value="pay"]').waitFor();
  });

  it('WeChat Pay: a failed payment → failed, and trying again reaches a cashier', async (ctx) => {
    const { page, violations } = await tab(ctx);
    const id = order().id;
    await toWechatCashier(page, id);
    await page.click('button[name="action"][value="fail"]');
    await page.waitForURL(/\/pay\/result\?/);
    expect(await outcome(page)).toBe('failed');
    expect(await heading(page)).toBe('支付未成功');
    await shoot(page, violations, 'failed');
    // A buyer takes longer than a second to try again; the core shares a provider's answer about
    // a trade number for a second (src/core/queries.ts), and the retry reuses this trade number.
    await page.waitForTimeout(1100);
    await page.click('#retry');
    await page.locator('button[name="action"][value="pay"]').waitFor();
    await page.click('button[name="action"][value="pay"]');
    await page.waitForURL(/\/pay\/result\?/);
    expect(await outcome(page)).toBe('paid');
  });

  it('UnionPay: the forwarding page works without JavaScript (its button), and by itself with it', async (ctx) => {
    const noJs = await tab(ctx, 'zh-CN', false);
    const id = order().id;
    await noJs.page.goto(`${app.publicUrl}/checkout/unionpay?orderId=${id}`);
    expect(await heading(noJs.page)).toBe('正在前往支付…');
    await shoot(noJs.page, noJs.violations, 'redirect');
    await noJs.page.click('button[type="submit"]');
    await noJs.page.waitForURL((url) => url.href.startsWith(sandbox.url));
    await noJs.page.locator('button[name="action"][value="pay"]').waitFor();

    // With JavaScript the nonce'd script posts the form at once: the buyer lands on the cashier.
    const { page, violations } = await tab(ctx);
    await page.goto(`${app.publicUrl}/checkout/unionpay?orderId=${order().id}`);
    await page.waitForURL((url) => url.href.startsWith(sandbox.url));
    await page.locator('button[name="action"][value="fail"]').waitFor();
    expect(violations).toEqual([]);
    await page.click('button[name="action"][value="fail"]');
    await page.waitForURL(/\/pay\/result\?/, { timeout: 15_000 });
    expect(await outcome(page)).toBe('failed');

    await page.goto(`${app.publicUrl}/checkout/unionpay?orderId=${order().id}`);
    await page.locator('button[name="action"][value="pay"]').waitFor();
    await page.click('button[name="action"][value="pay"]');
    await page.waitForURL(/\/pay\/result\?/, { timeout: 15_000 });
    expect(await outcome(page)).toBe('paid');
  });

  it('a buyer who leaves the cashier → cancelled', async (ctx) => {
    const { page, violations } = await tab(ctx);
    const id = order().id;
    // testpay's cashier is the resultUrl paymount gave it, as Alipay's quit_url is.
    await page.goto(`${app.publicUrl}/checkout/testpay?orderId=${id}`);
    await page.waitForURL(/outcome=cancelled/);
    expect(await outcome(page)).toBe('cancelled');
    expect(await heading(page)).toBe('支付已取消');
    await shoot(page, violations, 'cancelled');
  });

  it('closed, refunded and error pages', async (ctx) => {
    const { page, violations } = await tab(ctx);
    const closed = shop.addOrder({ id: `CLOSED${++seq}`, amount: 500, status: 'closed' });
    await page.goto(`${app.publicUrl}/result?orderId=${closed.id}&provider=testpay`);
    expect(await heading(page)).toBe('订单已关闭');
    await shoot(page, violations, 'closed');

    const refunded = order();
    const res = await fetch(`${app.publicUrl}/notify/testpay`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ tradeNo: refunded.id, transactionId: `TX${refunded.id}`, amount: refunded.amount }),
    });
    expect(res.status).toBe(200);
    await payments.refund({ provider: 'testpay', orderId: refunded.id, refundId: 'R1', amount: refunded.amount });
    await page.goto(`${app.publicUrl}/result?orderId=${refunded.id}&provider=testpay`);
    expect(await heading(page)).toBe('已退款');
    await shoot(page, violations, 'refunded');

    const error = await page.goto(`${app.publicUrl}/checkout/testpay?orderId=NO-SUCH-ORDER`);
    expect(error?.status()).toBe(404);
    expect(await page.locator('#reference').textContent()).toBe(await error?.headerValue('x-request-id'));
    await shoot(page, violations, 'error');

    // An order id as long as getOrder may have them wraps inside the card.
    const long = shop.addOrder({ id: `ORDER-${'0123456789abcdef'.repeat(7)}`, amount: 500, status: 'closed' });
    await page.goto(`${app.publicUrl}/result?orderId=${long.id}&provider=testpay`);
    expect(await page.locator('dd').first().textContent()).toBe(long.id);
    await shoot(page, violations, 'closed-long-id');

    const en = await tab(ctx, 'en-US');
    testpay.mode = 'down';
    try {
      await en.page.goto(`${app.publicUrl}/checkout/testpay?orderId=${order().id}`);
    } finally {
      testpay.mode = 'quit';
    }
    expect(await heading(en.page)).toBe('Could not reach the payment provider');
    await shoot(en.page, en.violations, 'error-en');
  });

  it('without branding: no header, the default colour', async (ctx) => {
    const plainApp = await startApp('koa');
    const plainShop = createShop();
    try {
      plainApp.use(
        createPayments({
          publicUrl: plainApp.publicUrl,
          providers: { testpay: pageProvider().definition },
          ...plainShop.hooks,
          publicCheckout: true,
          logger: false,
        }),
      );
      const id = plainShop.addOrder({ id: 'PLAIN1', amount: 100 }).id;
      const { page, violations } = await tab(ctx, 'en-US');
      await page.goto(`${plainApp.publicUrl}/checkout/testpay?orderId=${id}`);
      await page.waitForURL(/outcome=cancelled/);
      expect(await page.locator('header').count()).toBe(0);
      expect(await heading(page)).toBe('Payment cancelled');
      await shoot(page, violations, 'plain-en');
    } finally {
      await plainApp.close();
    }
  });
});
