import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startShop, type RunningShop } from '../examples/shop/app.js';

/**
 * The demo shop in a real Chromium (Debian's, driven by playwright-core) on a phone-sized screen:
 * buy → pay with each provider → the sandbox cashier → pay → back on the order page, paid.
 * Screenshots of every final page land in test-output/screenshots/.
 */
// CHROMIUM_PATH points elsewhere (another build, or a missing path to see the message below).
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const MISSING = `Chromium is not installed at ${CHROMIUM}: install it with \`apt-get install chromium\` (Debian/Ubuntu; add fonts-noto-cjk for the cashier pages' Chinese text)`;
const SHOTS = 'test-output/screenshots';
const present = existsSync(CHROMIUM);

let shop: RunningShop;
let context: BrowserContext | undefined;
let profile: string | undefined;

beforeAll(async () => {
  if (!present) {
    if (!process.env.CI) console.warn(`[browser.test] skipped: ${MISSING}`);
    return;
  }
  mkdirSync(SHOTS, { recursive: true });
  shop = await startShop({ port: 0, timeScale: 0.0005 });
  profile = mkdtempSync(join(tmpdir(), 'paymount-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    locale: 'zh-CN',
  });
}, 60_000);

afterAll(async () => {
  await context?.close();
  await shop?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

/** Opens the shop, buys the tea and answers the order page with its order id. */
async function buy(page: Page, name: string): Promise<string> {
  await page.goto(shop.url);
  await page.screenshot({ path: `${SHOTS}/home.png`, fullPage: true });
  await page.click('#buy-tea');
  await page.waitForURL(/\/orders\/[^/]+$/);
  await expect.poll(() => page.textContent('#status')).toBe('pending');
  await fitsTheScreen(page);
  await page.screenshot({ path: `${SHOTS}/${name}-order.png`, fullPage: true });
  return decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
}

/** Nothing wider than the 390 px phone: long ids wrap inside their card instead of scrolling the page sideways. */
async function fitsTheScreen(page: Page): Promise<void> {
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
}

/** The order's log ("What happened"), opened as a buyer would. */
async function logOf(page: Page): Promise<string> {
  await page.click('details summary');
  return (await page.locator('details ul').innerText()).trim();
}

/** Pays the order on the order page with `provider` and comes back to it, paid. */
async function payWith(page: Page, orderId: string, provider: string): Promise<void> {
  await toCashier(page, provider);
  await page.click('button[name="action"][value="pay"]');
  await page.waitForURL(`${shop.url}/orders/${encodeURIComponent(orderId)}`);
  await expect.poll(() => page.textContent('#status'), { timeout: 15_000 }).toBe('paid');
}

/** From the order page to the sandbox cashier of `provider` (through the auto-submitted form for UnionPay). */
async function toCashier(page: Page, provider: string): Promise<void> {
  await page.click(`#pay-${provider}`);
  await page.waitForURL((url) => url.href.startsWith(shop.sandbox.url));
  await page.locator('button[name="action"][value="pay"]').waitFor();
}

/** The browser, or: in CI a failure naming the fix (a missing browser is a broken machine), elsewhere a skip. */
function browser(ctx: { skip(note?: string): never }): BrowserContext {
  if (context) return context;
  if (process.env.CI) throw new Error(MISSING);
  return ctx.skip(MISSING);
}

const providers = ['alipay', 'wechatpay', 'unionpay'] as const;

describe('the demo shop in Chromium', () => {
  it.for(providers)('%s: buy → cashier → pay → order page shows paid with a transaction id', async (provider, ctx) => {
    const page = await browser(ctx).newPage();
    try {
      const orderId = await buy(page, provider);
      await toCashier(page, provider);
      await page.screenshot({ path: `${SHOTS}/${provider}-cashier.png`, fullPage: true });
      await page.click('button[name="action"][value="pay"]');
      await page.waitForURL(`${shop.url}/orders/${encodeURIComponent(orderId)}`);
      // The return settles by querying the provider; the page refreshes itself until it is paid.
      await expect.poll(() => page.textContent('#status'), { timeout: 15_000 }).toBe('paid');
      expect((await page.textContent('#transaction'))?.trim()).toMatch(/^\d{16,32}$/);
      expect(await page.textContent('#heading')).toBe(`Order ${orderId}`);
      // One money format: the confirmation in the log reads like the price on the page.
      expect(await logOf(page)).toContain(`confirmed ¥128.00`);
      await fitsTheScreen(page);
      await page.screenshot({ path: `${SHOTS}/${provider}-paid.png`, fullPage: true });
    } finally {
      await page.close();
    }
  });

  it('wechatpay: cancel at the cashier → back on the order page, still pending, nothing delivered', async (ctx) => {
    const page = await browser(ctx).newPage();
    try {
      const orderId = await buy(page, 'wechatpay-cancel');
      await toCashier(page, 'wechatpay');
      // The cashier speaks Chinese and English, like the Alipay and UnionPay ones.
      const buttons = await page.locator('button[name="action"]').allInnerTexts();
      expect(buttons).toEqual(['确认支付 · Pay', '取消 · Cancel', '模拟支付失败 · Simulate a failed payment']);
      await page.click('button[name="action"][value="cancel"]');
      await page.waitForURL(`${shop.url}/orders/${encodeURIComponent(orderId)}`);
      expect(await page.textContent('#status')).toBe('pending');
      expect(await page.locator('#transaction').count()).toBe(0);
      expect(shop.sandbox.deliveries.some((d) => d.orderId === orderId)).toBe(false);
      await page.screenshot({ path: `${SHOTS}/wechatpay-cancelled.png`, fullPage: true });
    } finally {
      await page.close();
    }
  });

  it('alipay: pay → refund half → "partly refunded" with the amount → refund the rest → "refunded"', async (ctx) => {
    const page = await browser(ctx).newPage();
    try {
      const orderId = await buy(page, 'refund');
      await payWith(page, orderId, 'alipay');
      await page.click('#refund-half');
      await page.waitForURL(`${shop.url}/orders/${encodeURIComponent(orderId)}`);
      expect(await page.textContent('#status')).toBe('partly refunded (¥64.00)');
      expect(await page.textContent('#refund')).toBe('Refund ¥64.00');
      await page.click('#refund');
      await page.waitForURL(`${shop.url}/orders/${encodeURIComponent(orderId)}`);
      expect(await page.textContent('#status')).toBe('refunded');
      expect(await page.textContent('#refunded')).toBe('¥128.00');
      expect(await page.locator('#refund').count()).toBe(0);
      const log = await logOf(page);
      expect(log).toMatch(/refund \S+ of ¥64\.00 confirmed\nrefund \S+ of ¥64\.00 confirmed$/);
      expect(log).not.toMatch(/fen/);
      await fitsTheScreen(page);
      await page.screenshot({ path: `${SHOTS}/alipay-refunded.png`, fullPage: true });
    } finally {
      await page.close();
    }
  });

  it('alipay: cancel at the cashier → "Payment cancelled", logged, and the order can still be paid', async (ctx) => {
    const page = await browser(ctx).newPage();
    try {
      const orderId = await buy(page, 'alipay-cancel');
      await toCashier(page, 'alipay');
      await page.click('button[name="action"][value="cancel"]');
      await page.waitForURL(`${shop.url}/orders/${encodeURIComponent(orderId)}?outcome=cancelled`);
      expect(await page.textContent('#notice')).toBe('Payment cancelled — you can try again.');
      expect(await page.textContent('#status')).toBe('pending');
      expect(await logOf(page)).toBe('payment cancelled at the cashier');
      await fitsTheScreen(page);
      await page.screenshot({ path: `${SHOTS}/alipay-cancelled.png`, fullPage: true });
      await payWith(page, orderId, 'alipay');
      expect(await page.locator('#notice').count()).toBe(0);
    } finally {
      await page.close();
    }
  });

  it('unionpay: a declined card → "Payment failed", logged, and the order can still be paid', async (ctx) => {
    const page = await browser(ctx).newPage();
    try {
      const orderId = await buy(page, 'unionpay-failed');
      await toCashier(page, 'unionpay');
      await page.click('button[name="action"][value="fail"]');
      // The cashier posts the signed result back by itself after a moment.
      await page.waitForURL(`${shop.url}/orders/${encodeURIComponent(orderId)}?outcome=failed`, { timeout: 15_000 });
      expect(await page.textContent('#notice')).toMatch(/^Payment failed — /);
      expect(await page.textContent('#status')).toBe('pending');
      expect(await logOf(page)).toBe('payment failed at the cashier');
      expect(await page.locator('#pay-unionpay').count()).toBe(1);
      await fitsTheScreen(page);
      await page.screenshot({ path: `${SHOTS}/unionpay-failed.png`, fullPage: true });
    } finally {
      await page.close();
    }
  });

  it('wechatpay: a failed payment at the cashier → "Payment failed" on the order page, still payable', async (ctx) => {
    const page = await browser(ctx).newPage();
    try {
      const orderId = await buy(page, 'wechatpay-failed');
      await toCashier(page, 'wechatpay');
      await page.click('button[name="action"][value="fail"]');
      // WeChat's return says nothing; paymount's query finds the attempt closed by the failure.
      await page.waitForURL(`${shop.url}/orders/${encodeURIComponent(orderId)}?outcome=failed`);
      expect(await page.textContent('#notice')).toMatch(/^Payment failed — /);
      expect(await page.textContent('#status')).toBe('pending');
      expect(await logOf(page)).toMatch(/payment failed at the cashier$/);
      expect(await page.locator('#pay-wechatpay').count()).toBe(1);
      await fitsTheScreen(page);
      await page.screenshot({ path: `${SHOTS}/wechatpay-failed.png`, fullPage: true });
      // The failed attempt is closed; paying again takes a new one.
      await payWith(page, orderId, 'wechatpay');
    } finally {
      await page.close();
    }
  });
});
