import { request } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ConfigError,
  createPayments,
  type BuyerPage,
  type PaymentOutcome,
  type PaymentsOptions,
} from '../src/index.js';
import { negotiateLocale } from '../src/core/pages/locale.js';
import { createShop, startApp, type Framework, type RunningApp, type TestShop } from './helpers/shop.js';
import { pageProvider, type PageProvider } from './helpers/page-provider.js';

/**
 * The buyer pages over real HTTP, in a real Express app and a real Koa app: locale, the outcome
 * each page shows and where it comes from, error pages without diagnostics, the `pages` option
 * (branding, a template), and cancels reaching the host's `resultUrl`.
 */

const apps: RunningApp[] = [];
afterAll(() => Promise.all(apps.map((a) => a.close())));

interface LogLine {
  level: 'info' | 'warn' | 'error';
  message: string;
  detail: Record<string, unknown>;
}

interface Site {
  app: RunningApp;
  shop: TestShop;
  provider: PageProvider;
  logs: LogLine[];
  payments: ReturnType<typeof createPayments>;
  /** GET a path under the mount (or an absolute URL), with an Accept-Language header (default zh-CN). */
  get(path: string, lang?: string): Promise<Response>;
  /** Pays `orderId` through a notify, under `tradeNo` (default the order id). */
  pay(orderId: string, tradeNo?: string): Promise<void>;
}

let seq = 0;
const newId = () => `P${Date.now().toString(36)}${String(++seq).padStart(3, '0')}`;

async function site(framework: Framework, options: Partial<PaymentsOptions> = {}): Promise<Site> {
  const app = await startApp(framework);
  apps.push(app);
  const shop = createShop();
  const provider = pageProvider();
  const logs: LogLine[] = [];
  const line = (level: LogLine['level']) => (message: string, detail?: unknown) =>
    void logs.push({ level, message, detail: (detail ?? {}) as Record<string, unknown> });
  const payments = createPayments({
    publicUrl: app.publicUrl,
    providers: { testpay: provider.definition },
    ...shop.hooks,
    publicCheckout: true,
    newTradeNumbers: false,
    logger: { info: line('info'), warn: line('warn'), error: line('error') },
    ...options,
  });
  app.use(payments);
  const get = (path: string, lang = 'zh-CN') =>
    fetch(path.startsWith('http') ? path : `${app.publicUrl}${path}`, {
      headers: { 'accept-language': lang },
      redirect: 'manual',
    });
  return {
    app,
    shop,
    provider,
    logs,
    payments,
    get,
    async pay(orderId, tradeNo = orderId) {
      const amount = shop.orders.get(orderId)!.amount;
      const res = await fetch(`${app.publicUrl}/notify/testpay`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ tradeNo, transactionId: `TX${tradeNo}`, amount }),
      });
      expect(res.status, await res.text()).toBe(200);
    },
  };
}

const decode = (s: string) =>
  s.replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n))).replace(/&amp;/g, '&');

/** What a test reads off a default page. */
function read(html: string) {
  const pick = (re: RegExp) => {
    const m = re.exec(html);
    return m ? decode(m[1]!) : undefined;
  };
  return {
    lang: pick(/<html lang="([^"]+)"/),
    heading: pick(/<h1>([^<]*)<\/h1>/),
    outcome: pick(/data-outcome="([^"]+)"/),
    error: pick(/data-error="([^"]+)"/),
    reference: pick(/<dd id="reference">([^<]*)<\/dd>/),
    refresh: pick(/<meta http-equiv="refresh" content="([^"]+)">/),
    retry: pick(/id="retry" href="([^"]+)"/),
    shop: pick(/id="shop" href="([^"]+)"/),
    note: pick(/<p class="note" role="status">([^<]*)<\/p>/),
  };
}

async function page(res: Response) {
  const html = await res.text();
  return { html, ...read(html) };
}

const result = (id: string, extra = '') => `/result?orderId=${encodeURIComponent(id)}&provider=testpay${extra}`;

const HEADINGS: Record<'zh-CN' | 'en', Record<PaymentOutcome | 'unpaid', string>> = {
  'zh-CN': {
    paid: '支付成功',
    pending: '正在确认支付结果',
    unpaid: '暂未收到付款',
    failed: '支付未成功',
    cancelled: '支付已取消',
    closed: '订单已关闭',
    refunded: '已退款',
  },
  en: {
    paid: 'Payment received',
    pending: 'Waiting for the payment to be confirmed',
    unpaid: 'Not paid yet',
    failed: 'The payment did not go through',
    cancelled: 'Payment cancelled',
    closed: 'This order is closed',
    refunded: 'Refunded',
  },
};

describe('Accept-Language → locale', () => {
  it.each([
    ['zh', 'zh-CN'],
    ['zh-TW', 'zh-CN'],
    ['zh-Hant-HK,zh;q=0.9', 'zh-CN'],
    ['en-US;q=0.8', 'en'],
    ['en-US', 'en'],
    ['fr-FR, en;q=0.5', 'en'],
    ['en;q=0.5, zh-CN;q=0.9', 'zh-CN'],
    ['en, zh;q=0.9', 'en'],
    ['de, fr', 'zh-CN'],
    ['*', 'zh-CN'],
    ['zh;q=0, *', 'en'],
    ['en-GB;q=0, en-US', 'en'],
    ['', 'zh-CN'],
  ])('%j → %s', (header, locale) => {
    expect(negotiateLocale(header)).toBe(locale);
  });
  it('no header → zh-CN', () => expect(negotiateLocale(undefined)).toBe('zh-CN'));
});

describe.each(['express', 'koa'] as const)('buyer pages on %s', (framework) => {
  it('speaks the language the browser asks for, zh-CN when nothing matches, or the one configured', async () => {
    const s = await site(framework);
    const order = s.shop.addOrder({ amount: 100 });
    for (const [lang, expected] of [
      ['zh', 'zh-CN'],
      ['zh-TW', 'zh-CN'],
      ['en-US;q=0.8', 'en'],
      ['ja, en-GB;q=0.7, zh;q=0.6', 'en'],
    ]) {
      const p = await page(await s.get(result(order.id), lang));
      expect([lang, p.lang, p.heading]).toEqual([lang, expected, HEADINGS[expected as 'en' | 'zh-CN'].pending]);
    }
    // No Accept-Language at all (fetch always sends one, so a bare request).
    const bare = await new Promise<string>((resolve, reject) => {
      const req = request(`${s.app.publicUrl}${result(order.id)}`, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (c: string) => (body += c));
        res.on('end', () => resolve(body));
      });
      req.on('error', reject).end();
    });
    expect(read(bare)).toMatchObject({ lang: 'zh-CN', heading: HEADINGS['zh-CN'].pending });

    const forced = await site(framework, { pages: { locale: 'en' } });
    const other = forced.shop.addOrder({ amount: 100 });
    expect((await page(await forced.get(result(other.id), 'zh-CN'))).lang).toBe('en');
  });

  it("shows each outcome's heading in zh-CN and en", async () => {
    const s = await site(framework);
    const now = Date.now();
    const ids = {
      paid: s.shop.addOrder({ amount: 100 }).id,
      pending: s.shop.addOrder({ amount: 100 }).id,
      failed: s.shop.addOrder({ amount: 100 }).id,
      cancelled: s.shop.addOrder({ amount: 100 }).id,
      closed: s.shop.addOrder({ amount: 100, status: 'closed' }).id,
      expired: s.shop.addOrder({ amount: 100, expiresAt: new Date(now - 1000) }).id,
      refunded: s.shop.addOrder({ amount: 100 }).id,
    };
    await s.pay(ids.paid);
    await s.pay(ids.refunded);
    await s.payments.refund({ provider: 'testpay', orderId: ids.refunded, refundId: 'RF1', amount: 100 });
    const cases: [string, string, PaymentOutcome | 'unpaid'][] = [
      [ids.paid, '', 'paid'],
      [ids.pending, '', 'pending'],
      [ids.pending, '&checks=5', 'unpaid'],
      [ids.failed, '&outcome=failed', 'failed'],
      [ids.cancelled, '&outcome=cancelled', 'cancelled'],
      [ids.closed, '', 'closed'],
      [ids.expired, '&outcome=cancelled', 'closed'],
      [ids.refunded, '', 'refunded'],
    ];
    for (const locale of ['zh-CN', 'en'] as const) {
      for (const [id, extra, expected] of cases) {
        const res = await s.get(result(id, extra), locale);
        expect(res.status).toBe(200);
        const p = await page(res);
        const outcome = expected === 'unpaid' ? 'pending' : expected;
        expect([locale, expected, p.outcome, p.heading]).toEqual([
          locale,
          expected,
          outcome,
          HEADINGS[locale][expected],
        ]);
        expect(p.html).toContain(id);
      }
    }
  });

  it('never believes a URL that claims the order is paid, refunded or closed', async () => {
    const s = await site(framework);
    const order = s.shop.addOrder({ amount: 100 });
    for (const claim of ['paid', 'refunded', 'closed', 'PAID']) {
      const p = await page(await s.get(result(order.id, `&outcome=${claim}`)));
      expect([claim, p.outcome]).toEqual([claim, 'pending']);
    }
    // Not for an unknown order either, nor without a provider.
    expect((await page(await s.get('/result?orderId=NOSUCH&outcome=paid'))).outcome).toBe('pending');
    // And a hint never hides a payment: the store says paid (even when getOrder has not caught up).
    await s.pay(order.id);
    s.shop.orders.get(order.id)!.status = 'pending';
    expect((await page(await s.get(result(order.id, '&outcome=failed')))).outcome).toBe('paid');
    expect(await page(await s.get(`/result?orderId=${order.id}&outcome=cancelled`))).toMatchObject({
      outcome: 'paid',
      retry: undefined,
    });
  });

  it('a partial refund, or the refund of a double payment, leaves the order paid; a full refund shows it', async () => {
    const s = await site(framework, { duplicatePayments: 'refund' });
    const partial = s.shop.addOrder({ amount: 300 });
    await s.pay(partial.id);
    await s.payments.refund({ provider: 'testpay', orderId: partial.id, refundId: 'RP1', amount: 100 });
    expect((await page(await s.get(result(partial.id)))).outcome).toBe('paid');
    await s.payments.refund({ provider: 'testpay', orderId: partial.id, refundId: 'RP2', amount: 300 });
    expect((await page(await s.get(result(partial.id)))).outcome).toBe('refunded');

    const twice = s.shop.addOrder({ amount: 200 });
    await s.pay(twice.id);
    await s.pay(twice.id, `${twice.id}R2`); // a second attempt paid too: refunded in full, automatically
    expect(s.shop.refunds.filter((r) => r.orderId === twice.id && r.status === 'success')).toHaveLength(1);
    expect((await page(await s.get(result(twice.id)))).outcome).toBe('paid');
  });

  it('checks a pending order every few seconds, a bounded number of times, then offers to pay again', async () => {
    const s = await site(framework);
    const order = s.shop.addOrder({ amount: 100 });
    const first = await page(await s.get(result(order.id)));
    expect(first.refresh).toBe(`3;url=/pay/result?orderId=${order.id}&provider=testpay&checks=1`);
    expect(first.note).toBe('3 秒后自动刷新（第 1/5 次确认）');
    expect(first.retry).toBeUndefined(); // a payment may be on its way: no second one offered yet
    const fourth = await page(await s.get(result(order.id, '&checks=4'), 'en'));
    expect(fourth.refresh).toMatch(/checks=5$/);
    expect(fourth.note).toBe('Checking again in 3 s (5 of 5)…');
    for (const checks of ['5', '99']) {
      const last = await page(await s.get(result(order.id, `&checks=${checks}`)));
      expect(last).toMatchObject({ refresh: undefined, note: undefined, heading: HEADINGS['zh-CN'].unpaid });
      expect(last.retry).toBe(`/pay/checkout/testpay?orderId=${order.id}`);
    }
    for (const checks of ['-1', 'abc', '2.5']) {
      expect((await page(await s.get(result(order.id, `&checks=${checks}`)))).refresh).toMatch(/checks=1$/);
    }
    // Once paid, a refreshing page shows it and stops.
    await s.pay(order.id);
    expect(await page(await s.get(result(order.id, '&checks=2')))).toMatchObject({
      outcome: 'paid',
      refresh: undefined,
    });
  });

  it('offers a retry through the shop, never a signed link, when checkout needs one', async () => {
    const s = await site(framework, {
      publicCheckout: false,
      authorizeCheckout: undefined,
      linkSecret: 'k'.repeat(40),
    });
    const order = s.shop.addOrder({ amount: 100 });
    const p = await page(await s.get(result(order.id, '&outcome=cancelled')));
    expect(p.retry).toBe(`${s.app.origin}/`);
    expect(p.shop).toBeUndefined(); // one button: the retry is the shop
    expect(p.html).toContain('返回商店重新支付');
    expect(p.html).not.toContain('sig=');
  });

  it('shows buyers a short message and a reference, and logs the diagnostic once under it', async () => {
    const s = await site(framework);
    // An order getOrder does not know.
    let res = await s.get('/checkout/testpay?orderId=NOSUCH');
    expect(res.status).toBe(404);
    let p = await page(res);
    expect(p).toMatchObject({ error: 'not_found', heading: '找不到这笔订单', lang: 'zh-CN' });
    expect(p.reference).toBe(res.headers.get('x-request-id'));
    expect(p.html).not.toMatch(/not yours|getOrder|authorizeCheckout|cannot be paid here/);
    let logged = s.logs.filter((l) => l.detail.requestId === p.reference);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ level: 'warn', detail: { code: 'ORDER_NOT_FOUND', status: 404 } });
    expect(logged[0]!.message).toMatch(/order NOSUCH cannot be paid here/);

    // A provider that cannot be reached, with a developer hint in its message.
    const order = s.shop.addOrder({ amount: 100 });
    s.provider.mode = 'down';
    res = await fetch(`${s.app.publicUrl}/checkout/testpay?orderId=${order.id}`, {
      headers: { 'accept-language': 'en', 'x-request-id': 'shop-req-42' },
    });
    expect(res.status).toBe(503);
    p = await page(res);
    expect(p).toMatchObject({
      error: 'provider',
      heading: 'Could not reach the payment provider',
      reference: 'shop-req-42',
    });
    expect(p.html).not.toMatch(/PublicKey|timed out|gateway|testpay:/);
    expect(p.retry).toBe(`/pay/checkout/testpay?orderId=${order.id}`); // waiting may help: the same link
    logged = s.logs.filter((l) => l.detail.requestId === 'shop-req-42');
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ level: 'error', detail: { code: 'PROVIDER_UNAVAILABLE' } });
    expect(logged[0]!.message).toContain('check that testpayPublicKey is the key of the app');

    // A bug in the host: the stack is logged, the page says only that something went wrong.
    const broken = await site(framework, {
      getOrder: () => {
        throw new Error('connect ECONNREFUSED db.internal:5432 (user shop, password hunter2)');
      },
    });
    res = await broken.get('/checkout/testpay?orderId=ANY', 'en');
    expect(res.status).toBe(500);
    p = await page(res);
    expect(p).toMatchObject({ error: 'other', heading: 'Something went wrong' });
    expect(p.html).not.toMatch(/hunter2|ECONNREFUSED|db\.internal/);
    logged = broken.logs.filter((l) => l.detail.requestId === p.reference);
    expect(logged).toHaveLength(1);
    expect(logged[0]!.level).toBe('error');
    expect(String(logged[0]!.detail.error)).toMatch(/^Error: connect ECONNREFUSED[\s\S]*\n\s+at /);
    expect(broken.logs.filter((l) => JSON.stringify(l).includes('hunter2'))).toHaveLength(1);

    // A hook that throws outside a route's own error handling (here resultUrl on /result): once too.
    const hooked = await site(framework, {
      resultUrl: () => {
        throw new Error('resultUrl: no route named order.show (secret-token-9)');
      },
    });
    const some = hooked.shop.addOrder({ amount: 100 });
    res = await hooked.get(result(some.id));
    expect(res.status).toBe(500);
    p = await page(res);
    expect(p.error).toBe('other');
    expect(p.reference).toBe(res.headers.get('x-request-id'));
    expect(p.html).not.toContain('secret-token-9');
    expect(hooked.logs.filter((l) => JSON.stringify(l).includes('secret-token-9'))).toHaveLength(1);

    // Already paid, closed: the buyer learns that, in a few words.
    s.provider.mode = 'quit';
    const closed = s.shop.addOrder({ amount: 100, status: 'closed' });
    expect((await page(await s.get(`/checkout/testpay?orderId=${closed.id}`))).error).toBe('expired');
    await s.pay(order.id);
    expect((await page(await s.get(`/checkout/testpay?orderId=${order.id}`))).error).toBe('paid');
  });

  it('keeps the precise message and code in JSON errors (POST /checkout, for the shop itself)', async () => {
    const s = await site(framework);
    const res = await fetch(`${s.app.publicUrl}/checkout`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'accept-language': 'zh-CN' },
      body: JSON.stringify({ orderId: 'NOSUCH', provider: 'testpay' }),
    });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({
      error: { code: 'ORDER_NOT_FOUND', message: 'order NOSUCH cannot be paid here (unknown, or not yours to pay)' },
    });
  });

  it('serves every page no-store, with a Content-Security-Policy that allows only what it uses', async () => {
    const s = await site(framework, { pages: { logoUrl: 'https://cdn.example.com/tea.png', shopName: 'Tea' } });
    const order = s.shop.addOrder({ amount: 100 });
    s.provider.mode = 'form';
    s.provider.formAction = 'https://cashier.example.com/pay?x=1';
    const redirect = await s.get(`/checkout/testpay?orderId=${order.id}`);
    const resultRes = await s.get(result(order.id));
    const errorRes = await s.get('/checkout/testpay?orderId=NOSUCH');
    for (const res of [redirect, resultRes, errorRes]) {
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    }
    const html = await redirect.text();
    const nonce = /<script nonce="([^"]+)">/.exec(html)![1]!;
    expect(redirect.headers.get('content-security-policy')).toBe(
      `default-src 'none'; style-src 'nonce-${nonce}'; img-src https://cdn.example.com; ` +
        `script-src 'nonce-${nonce}'; form-action https://cashier.example.com https:; ` +
        `base-uri 'none'; frame-ancestors 'none'`,
    );
    expect(html).toContain(`<style nonce="${nonce}">`);
    expect(html.match(/<script/g)).toHaveLength(1);
    // The form and its button: a browser without JavaScript posts the same fields.
    expect(html).toMatch(/<form id="pay" method="post" action="https:\/\/cashier\.example\.com\/pay\?x=1"/);
    expect(html).toContain(`<input type="hidden" name="tradeNo" value="${order.id}">`);
    expect(html).toMatch(/<button class="button primary" type="submit">继续支付<\/button>/);
    for (const res of [resultRes, errorRes]) {
      const text = await res.text();
      const policy = res.headers.get('content-security-policy')!;
      expect(policy).toMatch(
        /^default-src 'none'; style-src 'nonce-[A-Za-z0-9+/=]{24}'; img-src https:\/\/cdn\.example\.com; /,
      );
      expect(policy).toContain("form-action 'none'");
      expect(policy).not.toContain('script-src');
      expect(text).not.toMatch(/<script|<link|url\(|@import/);
    }
    // A new nonce every time.
    const again = await s.get(result(order.id));
    expect(again.headers.get('content-security-policy')).not.toBe(resultRes.headers.get('content-security-policy'));
  });

  it('escapes the branding and applies it', async () => {
    const s = await site(framework, {
      pages: {
        shopName: 'Tea & <b>Co</b> "Leaf"',
        color: '#FFD400',
        logoUrl: 'https://cdn.example.com/logo.png?a=1&b=<x>',
        shopUrl: '/shop?from=pay&x="y"',
      },
    });
    const order = s.shop.addOrder({ amount: 100 });
    const html = await (await s.get(result(order.id, '&outcome=cancelled'))).text();
    expect(html).not.toMatch(/<b>|"Leaf"|<x>/);
    expect(html).toContain('<span>Tea &#38; &#60;b&#62;Co&#60;/b&#62; &#34;Leaf&#34;</span>');
    expect(html).toContain('<title>支付已取消 · Tea &#38; &#60;b&#62;Co&#60;/b&#62; &#34;Leaf&#34;</title>');
    expect(html).toContain('<img src="https://cdn.example.com/logo.png?a=1&#38;b=%3Cx%3E" alt="">');
    expect(html).toContain(`id="shop" href="${s.app.origin}/shop?from=pay&#38;x=%22y%22"`);
    // A light brand colour gets dark text on its button.
    expect(html).toContain('.primary{border-color:#ffd400;background:#ffd400;color:#111111;');
    expect(html).toContain('border-top:4px solid #ffd400');
    // An order id from the URL is text too.
    const evil = await (await s.get(`/result?orderId=${encodeURIComponent('<script>alert(1)</script>')}`)).text();
    expect(evil).not.toContain('<script>alert');
    expect(evil).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
  });

  it('hands the page model to pages.render and serves what it returns; a failing template falls back', async () => {
    const seen: BuyerPage[] = [];
    let fail = false;
    const s = await site(framework, {
      pages: {
        shopName: 'Tea',
        shopUrl: 'https://tea.example.com/',
        render: async (model) => {
          if (fail) throw new Error('template exploded');
          seen.push(model);
          return `<!doctype html><p>${model.kind}:${model.kind === 'result' ? model.outcome : ''}</p>`;
        },
      },
    });
    const order = s.shop.addOrder({ amount: 100 });
    let res = await s.get(result(order.id, '&outcome=cancelled'), 'en-US');
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('<!doctype html><p>result:cancelled</p>');
    const model = seen[0]!;
    expect(model).toMatchObject({
      kind: 'result',
      outcome: 'cancelled',
      locale: 'en',
      status: 200,
      orderId: order.id,
      provider: 'testpay',
      texts: { heading: 'Payment cancelled', shop: 'Back to the shop', retry: 'Try again', order: 'Order' },
      links: { shop: 'https://tea.example.com/', retry: `/pay/checkout/testpay?orderId=${order.id}` },
      brand: { name: 'Tea', color: '#1f6feb' },
      reference: res.headers.get('x-request-id'),
    });
    expect(res.headers.get('content-security-policy')).toContain(`style-src 'self' 'nonce-${model.nonce}'`);

    res = await s.get('/checkout/testpay?orderId=NOSUCH');
    expect(res.status).toBe(404);
    expect(await res.text()).toBe('<!doctype html><p>error:</p>');
    expect(seen[1]).toMatchObject({ kind: 'error', error: 'not_found', status: 404, locale: 'zh-CN' });
    expect(seen[1]!.reference).toBe(res.headers.get('x-request-id'));

    s.provider.mode = 'form';
    s.provider.formAction = 'https://cashier.example.com/pay';
    await s.get(`/checkout/testpay?orderId=${order.id}`);
    expect(seen[2]).toMatchObject({
      kind: 'redirect',
      form: { action: 'https://cashier.example.com/pay', fields: { tradeNo: order.id } },
    });

    fail = true;
    res = await s.get(result(order.id));
    expect(res.status).toBe(200);
    expect(read(await res.text()).outcome).toBe('pending');
    const errors = s.logs.filter((l) => l.message.includes('pages.render failed'));
    expect(errors).toHaveLength(1);
    expect(String(errors[0]!.detail.error)).toContain('template exploded');
  });

  it('sends a buyer who leaves the cashier to the host resultUrl with "cancelled"', async () => {
    const asked: [string, PaymentOutcome][] = [];
    const s = await site(framework, {
      resultUrl: (order, outcome) => {
        asked.push([order.id, outcome]);
        return `/orders/${order.id}?outcome=${outcome}`;
      },
    });
    const order = s.shop.addOrder({ amount: 100 });
    // The provider's "cashier" sends the buyer straight to the resultUrl it was given (quit_url).
    const link = await s.get(`/checkout/testpay?orderId=${order.id}`);
    expect(link.status).toBe(302);
    const given = new URL(s.provider.checkouts[0]!.resultUrl);
    expect(given.href).toBe(`${s.app.publicUrl}/result?orderId=${order.id}&provider=testpay&outcome=cancelled`);
    expect(link.headers.get('location')).toBe(given.href);

    let back = await s.get(given.href);
    expect(back.status).toBe(302);
    expect(back.headers.get('location')).toBe(`${s.app.origin}/orders/${order.id}?outcome=cancelled`);
    expect(asked).toEqual([[order.id, 'cancelled']]);

    // Paid meanwhile (the buyer paid, then pressed back): the host hears paid.
    await s.pay(order.id);
    back = await s.get(given.href);
    expect(back.headers.get('location')).toBe(`${s.app.origin}/orders/${order.id}?outcome=paid`);

    // A declined payment coming back through /return: "failed".
    const declined = s.shop.addOrder({ amount: 100 });
    back = await s.get(`/return/testpay?tradeNo=${declined.id}&declined=1`);
    expect(back.headers.get('location')).toBe(`${s.app.origin}/orders/${declined.id}?outcome=failed`);
    expect(asked.at(-1)).toEqual([declined.id, 'failed']);
  });

  it('without a resultUrl (or with one that leaves the site, or points back here) renders the page', async () => {
    const plain = await site(framework);
    const order = plain.shop.addOrder({ amount: 100 });
    await plain.get(`/checkout/testpay?orderId=${order.id}`);
    const quit = await plain.get(plain.provider.checkouts[0]!.resultUrl);
    expect(quit.status).toBe(200);
    expect((await page(quit)).outcome).toBe('cancelled');
    // A declined payment: /return → the result page with the hint → "failed".
    const back = await plain.get(`/return/testpay?tradeNo=${order.id}&declined=1`);
    expect(back.headers.get('location')).toBe(`/pay/result?orderId=${order.id}&provider=testpay&outcome=failed`);
    expect((await page(await plain.get(back.headers.get('location')!.slice('/pay'.length)))).outcome).toBe('failed');

    for (const target of ['https://evil.example/phish', '/pay/result?orderId=X']) {
      const s = await site(framework, { resultUrl: () => target });
      const o = s.shop.addOrder({ amount: 100 });
      const res = await s.get(result(o.id, '&outcome=cancelled'));
      expect([target, res.status]).toEqual([target, 200]);
      expect((await page(res)).outcome).toBe('cancelled');
    }
  });
});

describe('the pages option is checked up front', () => {
  const base = () => {
    const shop = createShop();
    return {
      publicUrl: 'https://shop.example.com/pay',
      providers: { testpay: pageProvider().definition },
      ...shop.hooks,
      publicCheckout: true,
    };
  };
  it.each([
    [{ color: 'red' }, 'pages.color'],
    [{ color: '#12345' }, 'pages.color'],
    [{ logoUrl: 'javascript:alert(1)' }, 'pages.logoUrl'],
    [{ logoUrl: '/logo.png' }, 'pages.logoUrl'],
    [{ shopUrl: '//evil.example/' }, 'pages.shopUrl'],
    [{ shopUrl: '/\\evil.example/' }, 'pages.shopUrl'],
    [{ shopUrl: 'ftp://shop.example.com/' }, 'pages.shopUrl'],
    [{ locale: 'fr' }, 'pages.locale'],
    [{ shopName: ' ' }, 'pages.shopName'],
    [{ shopName: 'x'.repeat(65) }, 'pages.shopName'],
    [{ render: '<html>' }, 'pages.render'],
    [{ colour: '#fff' }, 'pages.colour'],
  ])('%j → ConfigError on %s', (pages, field) => {
    let error: unknown;
    try {
      createPayments({ ...base(), pages: pages as PaymentsOptions['pages'] });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).field).toBe(field);
  });
  it('accepts a full, valid configuration', () => {
    expect(() =>
      createPayments({
        ...base(),
        pages: {
          locale: 'en',
          shopName: '茶叶小店',
          color: '#b45309',
          logoUrl: 'https://cdn.example.com/logo.png',
          shopUrl: '/shop',
          render: () => '',
        },
      }),
    ).not.toThrow();
  });
});
