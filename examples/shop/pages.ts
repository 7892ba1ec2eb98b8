import { products, shownStatus, yuan, type ShopOrder } from './catalog.js';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const STYLE = [
  'body{font-family:system-ui,-apple-system,"PingFang SC",sans-serif;margin:0;background:#f6f5f2;color:#222}',
  'header{background:#8c1c13;color:#fff;padding:1rem 1.2rem;font-weight:600}',
  'main{max-width:30rem;margin:0 auto;padding:1rem}',
  '.card{background:#fff;border-radius:12px;padding:1rem;margin:.8rem 0;box-shadow:0 1px 3px #0002}',
  '.row{display:flex;justify-content:space-between;align-items:center;gap:.5rem}',
  'button,.button{font:inherit;display:inline-block;border:0;border-radius:8px;padding:.6rem 1rem;font-size:1rem;' +
    'background:#8c1c13;color:#fff;text-decoration:none;cursor:pointer;margin:.2rem 0}',
  '.alipay{background:#1677ff}.wechatpay{background:#07c160}.unionpay{background:#d7000f}.secondary{background:#666}',
  '.status{font-weight:700}.paid{color:#07a04a}.pending{color:#c77700}.closed,.refunded{color:#999}',
  // Order and transaction ids are one long word: at 390 px they break inside the card, not past it.
  'h1,h2,h3,p,li,code,pre{overflow-wrap:anywhere}',
  '.notice{border-left:4px solid #c77700;background:#fff8e6}.notice.failed{border-color:#d7000f;background:#fdecec}',
  'code,pre{font-size:.8rem;overflow-wrap:anywhere;white-space:pre-wrap}',
  '.glyph{width:3rem;height:3rem;border-radius:10px;color:#fff;display:flex;align-items:center;' +
    'justify-content:center;font-size:1.5rem;margin-bottom:.3rem}',
  'details{margin-top:.8rem}.card>h2:first-child{margin-top:0}',
  '.wechat{border:2px solid #07c160}.wechat p{margin:.4rem 0}.inline{display:inline}',
].join('\n');

/** Which browser the page is shown in: WeChat's (real, or the demo's simulation of it) or another. */
export interface BrowserView {
  wechat: boolean;
  simulated: boolean;
}

/**
 * The "open in WeChat" card. Inside WeChat, WeChat Pay links sign the buyer in with the official
 * account and pay by JSAPI, and Alipay asks to be opened in the phone's browser. The demo
 * simulates WeChat's browser with a cookie; a real shop is simply opened inside WeChat.
 */
function wechatCard(view: BrowserView, back: string): string {
  const form = (on: boolean, label: string, cls: string) =>
    `<form method="post" action="/wechat" class="inline"><input type="hidden" name="on" value="${on ? '1' : '0'}">` +
    `<input type="hidden" name="back" value="${esc(back)}">` +
    `<button class="${cls}" id="${on ? 'open-in-wechat' : 'leave-wechat'}">${label}</button></form>`;
  if (view.wechat) {
    const leave = view.simulated ? form(false, 'Leave WeChat', 'secondary') : '';
    return (
      '<div class="card wechat" id="in-wechat"><strong>You are inside WeChat.</strong>' +
      "<p>WeChat Pay signs you in with the shop's official account and opens its payment sheet (JSAPI); " +
      'Alipay asks you to open the page in your browser.</p>' +
      `${leave}</div>`
    );
  }
  return (
    '<div class="card wechat"><strong>Shared in a WeChat chat?</strong>' +
    '<p>Most Chinese shops are opened inside WeChat, where WeChat Pay pays by JSAPI and Alipay is blocked. ' +
    "See it here: the demo then shows you to paymount as WeChat's browser. (On a phone, open the shop's link in " +
    'WeChat; in a desktop browser, a user agent containing <code>MicroMessenger</code> does the same.)</p>' +
    `${form(true, 'Open in WeChat', 'wechatpay')}</div>`
  );
}

function layout(title: string, body: string, refresh = false): string {
  const head =
    '<!doctype html><html lang="en"><head><meta charset="utf-8">\n' +
    '<meta name="viewport" content="width=device-width,initial-scale=1">' +
    (refresh ? '<meta http-equiv="refresh" content="2">' : '') +
    `\n<title>${esc(title)} · paymount demo shop</title>\n<style>\n${STYLE}\n</style></head>`;
  const header = '<header><a href="/" style="color:#fff;text-decoration:none">paymount demo shop</a></header>';
  return `${head}<body>${header}<main>${body}</main></body></html>`;
}

function productCard(p: (typeof products)[number]): string {
  const glyph = `<div class="glyph" style="background:${p.color}">${p.glyph}</div>`;
  const buy =
    `<form method="post" action="/orders"><input type="hidden" name="sku" value="${p.sku}">` +
    `<button type="submit" id="buy-${p.sku}">Buy</button></form>`;
  const row = `<div class="row"><div>${glyph}${esc(p.name)}</div><strong>${yuan(p.price)}</strong></div>`;
  return `<div class="card">${row}\n${buy}</div>`;
}

export function homePage(view: BrowserView = { wechat: false, simulated: false }): string {
  return layout(
    'Products',
    '<p>Everything here is paid through the local sandbox: no real money, no merchant account.</p>' +
      products.map(productCard).join('') +
      wechatCard(view, '/'),
  );
}

/** The card with the ways to pay a pending order: in this browser, or as a native app would. */
function payCard(order: ShopOrder, providers: readonly string[]): string {
  const id = encodeURIComponent(order.id);
  const wap = providers
    .map(
      (p) => `<a class="button ${p}" id="pay-${p}" href="/pay/checkout/${p}?orderId=${id}">Pay with ${label(p)}</a> `,
    )
    .join('');
  const app = providers
    .map(
      (p) =>
        `<form method="post" action="/orders/${id}/app" style="display:inline">` +
        `<input type="hidden" name="provider" value="${p}">` +
        `<button class="${p}" id="app-${p}">${label(p)} in the app</button></form> `,
    )
    .join('');
  return (
    `<div class="card"><h3>Pay on this phone's browser</h3>${wap}\n` +
    `<h3>In the app</h3><p>What a native app receives, and the provider's SDK played by the sandbox.</p>${app}</div>`
  );
}

/** The parameters a native app would receive, and buttons that play the provider's SDK with them. */
function appCard(order: ShopOrder, result: { provider: string; params: Record<string, string>; outcome?: string }) {
  const outcome = result.outcome ? `<p id="app-outcome">SDK answered: <code>${esc(result.outcome)}</code></p>` : '';
  return (
    `<div class="card"><h3>${label(result.provider)} app parameters</h3>` +
    `<pre id="app-params">${esc(JSON.stringify(result.params, null, 2))}</pre>\n${outcome}\n` +
    `<form method="post" action="/orders/${encodeURIComponent(order.id)}/app/play">` +
    `<input type="hidden" name="provider" value="${result.provider}">` +
    `<input type="hidden" name="params" value="${esc(JSON.stringify(result.params))}">\n` +
    '<button name="action" value="pay" id="sdk-pay">Play the SDK: pay</button> ' +
    '<button name="action" value="cancel" class="secondary" id="sdk-cancel">cancel</button></form></div>'
  );
}

/** What the buyer is told after coming back from a cashier without paying. */
const NOTICES = {
  cancelled: 'Payment cancelled — you can try again.',
  failed: 'Payment failed — nothing was charged; you can try again, with another method if you like.',
} as const;

export function orderPage(
  order: ShopOrder,
  providers: readonly string[],
  appResult?: { provider: string; params: Record<string, string>; outcome?: string },
  view: BrowserView = { wechat: false, simulated: false },
  attempt?: 'failed' | 'cancelled',
): string {
  // Once the order is paid, an earlier cancel or failure is no longer news.
  const notice =
    attempt && order.status === 'pending'
      ? `<div class="card notice ${attempt}" id="notice" role="status">${NOTICES[attempt]}</div>`
      : '';
  const pay =
    order.status === 'pending'
      ? payCard(order, providers) + wechatCard(view, `/orders/${encodeURIComponent(order.id)}`)
      : '';
  const app = appResult ? appCard(order, appResult) : '';
  const left = order.amount - order.refunded;
  const refundForm = (part: string, label: string, id: string) =>
    `<form method="post" action="/orders/${encodeURIComponent(order.id)}/refund" class="inline">` +
    `<input type="hidden" name="part" value="${part}"><button class="secondary" id="${id}">${label}</button></form> `;
  const refund =
    order.status === 'paid' && left > 0
      ? refundForm('all', `Refund ${yuan(left)}`, 'refund') +
        (left > 1 ? refundForm('half', `Refund ${yuan(Math.floor(left / 2))}`, 'refund-half') : '')
      : '';
  const refreshing = order.status === 'pending' ? ' <small>(this page refreshes)</small>' : '';
  const paidWith = order.provider
    ? `<p>Paid with ${label(order.provider)}, ` +
      `transaction <code id="transaction">${esc(order.transactionId ?? '')}</code></p>`
    : '';
  const refunded = order.refunded ? `<p>Refunded: <span id="refunded">${yuan(order.refunded)}</span></p>` : '';
  const events = order.log.map((l) => `<li>${esc(l)}</li>`).join('');
  const log = order.log.length ? `<details><summary>What happened</summary><ul>${events}</ul></details>` : '';
  const amount = `<strong>${yuan(order.amount)}</strong>`;
  const status = shownStatus(order);
  const statusClass = status === 'refunded' ? 'refunded' : order.status;
  const heading = `<h2 id="heading">Order ${esc(order.id)}</h2>`;
  return layout(
    `Order ${order.id}`,
    `${notice}<div class="card">${heading}<div class="row"><strong>${esc(order.subject)}</strong>${amount}</div>
<p>Status: <span class="status ${statusClass}" id="status">${esc(status)}</span>${refreshing}</p>
${paidWith}
${refunded}
${refund}
${log}</div>${app}${pay}`,
    order.status === 'pending' && !appResult,
  );
}

export function label(provider: string): string {
  return (
    ({ alipay: 'Alipay', wechatpay: 'WeChat Pay', unionpay: 'UnionPay' } as Record<string, string>)[provider] ??
    provider
  );
}

export function errorPage(message: string): string {
  return layout(
    'Something went wrong',
    `<div class="card"><h3>Something went wrong</h3><p id="error">${esc(message)}</p>` +
      '<p><a href="javascript:history.back()">Back</a></p></div>',
  );
}
