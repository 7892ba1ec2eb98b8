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
  await page.screenshot({ path: `${SHOTS}/${name}-order.png`, fullPage: true });
  return decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
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
});
