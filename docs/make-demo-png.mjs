// Rebuilds docs/demo.png from the browser test's screenshots (from the repository root):
// `npx vitest run test/browser.test.ts && node docs/make-demo-png.mjs`.
import { chromium } from 'playwright-core';
import { readFileSync } from 'node:fs';
const shots = ['alipay-order.png', 'alipay-cashier.png', 'alipay-paid.png'].map(
  (f) => 'data:image/png;base64,' + readFileSync('test-output/screenshots/' + f).toString('base64'),
);
const captions = ['1 · the shop’s order page', '2 · the sandbox cashier', '3 · back in the shop, paid'];
const html = `<!doctype html><body style="margin:0;background:#e9e7e2;font-family:system-ui,sans-serif">
<div style="display:flex;gap:24px;padding:24px">${shots.map((s, i) => `<figure style="margin:0;width:390px"><div style="height:720px;overflow:hidden;border-radius:18px;box-shadow:0 4px 14px #0003;background:#fff"><img src="${s}" style="width:390px;display:block"></div><figcaption style="text-align:center;margin-top:10px;color:#444;font-size:16px">${captions[i]}</figcaption></figure>`).join('')}</div></body>`;
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu'],
});
const page = await browser.newPage({
  viewport: { width: 3 * 390 + 2 * 24 + 48, height: 720 + 48 + 40 },
  deviceScaleFactor: 1,
});
await page.setContent(html);
await page.screenshot({ path: 'docs/demo.png' });
await browser.close();
