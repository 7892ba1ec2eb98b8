import { escapeHtml as e } from './escape.js';
import type { BuyerPage } from './types.js';

/**
 * The default look of the buyer pages: one card on a phone-width column (390 px first), system
 * fonts with the Chinese ones named, no external asset. Every value is escaped here.
 */

/** Black or white, whichever reads better on `hex` (WCAG relative luminance). */
export function textOn(hex: string): string {
  const full = hex.length === 4 ? hex.replace(/[0-9a-f]/gi, (d) => d + d) : hex;
  const linear = (i: number) => {
    const c = parseInt(full.slice(i, i + 2), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  const luminance = 0.2126 * linear(1) + 0.7152 * linear(3) + 0.0722 * linear(5);
  // White text needs contrast (1.05) / (L + 0.05); black needs (L + 0.05) / 0.05: equal at L ≈ 0.179.
  return luminance > 0.179 ? '#111111' : '#ffffff';
}

/**
 * The icon (SVG path data on a 24-unit grid, drawn with a round stroke) and colour of each state.
 * Paths rather than characters: phones draw ✓ or ↩ in whatever font they have, some as emoji.
 */
const ICONS = {
  check: 'M5 12.5l4.5 4.5L19 7.5',
  cross: 'M6.5 6.5l11 11M17.5 6.5l-11 11',
  alert: 'M12 6v8M12 18.5v.01',
  back: 'M19 12H5M11 6l-6 6 6 6',
  minus: 'M6 12h12',
  refund: 'M9 14L4 9l5-5M4 9h10.5a5.5 5.5 0 0 1 0 11H11',
  open: 'M14 4h6v6M20 4l-9 9M18 14v5a1 1 0 0 1-1 1H5a1 1 0 0 1-1-1V7a1 1 0 0 1 1-1h5',
} as const;

const TONES: Record<string, { icon?: keyof typeof ICONS; color: string }> = {
  paid: { icon: 'check', color: '#16a34a' },
  refunded: { icon: 'refund', color: '#2563eb' },
  pending: { color: '#d97706' },
  unpaid: { icon: 'alert', color: '#d97706' },
  failed: { icon: 'cross', color: '#dc2626' },
  cancelled: { icon: 'back', color: '#6b7280' },
  closed: { icon: 'minus', color: '#6b7280' },
  redirect: { color: '#6b7280' },
  invoke: { color: '#6b7280' },
  'in-app': { icon: 'open', color: '#2563eb' },
  error: { icon: 'alert', color: '#dc2626' },
};

/** The state's icon: a spinner while something is under way, else a stroked path. */
function tone(page: BuyerPage): { html: string; color: string } {
  let name: string = page.kind === 'result' ? page.outcome : page.kind;
  if (page.kind === 'result' && page.outcome === 'pending' && !page.refresh) name = 'unpaid';
  if (page.kind === 'error' && (page.error === 'busy' || page.error === 'paid')) name = 'unpaid';
  const found = TONES[name];
  if (!found) throw new Error(`no tone for page state ${name}`);
  const { icon, color } = found;
  const html = icon
    ? `<div class="icon" aria-hidden="true"><svg viewBox="0 0 24 24" width="36" height="36" fill="none" ` +
      `stroke="currentColor" stroke-width="2.6" stroke-linecap="round" stroke-linejoin="round">` +
      `<path d="${ICONS[icon]}"/></svg></div>`
    : '<div class="icon spin" aria-hidden="true"></div>';
  return { html, color };
}

const FONTS =
  '-apple-system,BlinkMacSystemFont,"PingFang SC","Hiragino Sans GB","Noto Sans CJK SC","Source Han Sans SC",' +
  '"Microsoft YaHei",system-ui,"Segoe UI",Roboto,sans-serif';

/** The stylesheet: one rule a line, the brand colour on the bar and the main button, the state's on the icon. */
function style(brand: string, state: string): string {
  return [
    '*{box-sizing:border-box}',
    'html{-webkit-text-size-adjust:100%}',
    `body{margin:0;min-height:100vh;background:#f4f5f7;color:#1f2328;font:16px/1.6 ${FONTS}}`,
    '.bar{display:flex;align-items:center;gap:10px;min-height:56px;padding:10px 20px;background:#fff;' +
      `border-top:4px solid ${brand};box-shadow:0 1px 0 #e5e7eb}`,
    '.bar a{display:flex;align-items:center;gap:10px;min-width:0;color:#1f2328;text-decoration:none;' +
      'font-weight:600;font-size:17px}',
    '.bar img{height:32px;width:auto;max-width:120px;object-fit:contain}',
    '.bar span{overflow:hidden;text-overflow:ellipsis;white-space:nowrap}',
    'main{max-width:480px;margin:0 auto;padding:24px 16px 40px}',
    '.card{background:#fff;border-radius:14px;padding:32px 20px 24px;text-align:center;' +
      'box-shadow:0 1px 3px rgba(0,0,0,.06)}',
    '.icon{width:64px;height:64px;margin:0 auto 16px;border-radius:50%;display:flex;align-items:center;' +
      `justify-content:center;background:${state};color:#fff}`,
    `.spin{background:none;border:5px solid #e5e7eb;border-top-color:${state};animation:spin 1s linear infinite}`,
    '@keyframes spin{to{transform:rotate(360deg)}}',
    '@media (prefers-reduced-motion:reduce){.spin{animation:none}}',
    'h1{margin:0 0 8px;font-size:22px;line-height:1.35;font-weight:650}',
    'p{margin:0 0 12px;color:#4b5563}',
    '.note{display:inline-block;margin:4px 0 0;padding:6px 12px;border-radius:8px;background:#fff7ed;' +
      'color:#9a3412;font-size:14px}',
    'dl{display:grid;grid-template-columns:auto 1fr;gap:6px 12px;margin:20px 0 0;padding-top:16px;' +
      'border-top:1px solid #eef0f2;text-align:left;font-size:14px}',
    'dt{color:#6b7280;white-space:nowrap}',
    // Order ids may be long (UUIDs and more): they wrap anywhere rather than widen the page.
    'dd{margin:0;min-width:0;overflow-wrap:anywhere;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}',
    '.actions{display:grid;gap:12px;margin-top:24px}',
    '.button{display:block;width:100%;min-height:48px;padding:12px 16px;border:1px solid #d0d7de;' +
      'border-radius:10px;background:#fff;color:#1f2328;font:inherit;font-size:16px;text-align:center;' +
      'text-decoration:none;cursor:pointer}',
    `.primary{border-color:${brand};background:${brand};color:${textOn(brand)};font-weight:600}`,
    'form{margin:0}',
    // The link of an "open in your browser" page: one tap selects all of it, to copy.
    '.link{margin:16px 0 0;padding:10px 12px;border-radius:8px;background:#f4f5f7;font-size:13px;text-align:left;' +
      'overflow-wrap:anywhere;-webkit-user-select:all;user-select:all}',
    // Points at the app's menu, top right, where "open in browser" is.
    '.pointer{position:fixed;top:6px;right:14px;color:#2563eb}',
  ].join('\n');
}

function header(page: BuyerPage): string {
  const { name, logoUrl } = page.brand;
  if (!name && !logoUrl) return '';
  const logo = logoUrl ? `<img src="${e(logoUrl)}" alt="${name ? '' : e(page.texts.shop)}">` : '';
  const label = name ? `<span>${e(name)}</span>` : '';
  return `<header class="bar"><a href="${e(page.links.shop)}">${logo}${label}</a></header>`;
}

function details(page: BuyerPage): string {
  const rows: string[] = [];
  if (page.orderId) rows.push(`<dt>${e(page.texts.order)}</dt><dd>${e(page.orderId)}</dd>`);
  if (page.kind === 'error')
    rows.push(`<dt>${e(page.texts.reference)}</dt><dd id="reference">${e(page.reference)}</dd>`);
  return rows.length ? `<dl>${rows.join('')}</dl>` : '';
}

function actions(page: BuyerPage): string {
  const buttons: string[] = [];
  if (page.kind === 'invoke') {
    buttons.push(`<button class="button primary" id="invoke" type="button">${e(page.texts.submit ?? '')}</button>`);
  }
  const { retry, shop } = page.links;
  if (retry && page.texts.retry)
    buttons.push(`<a class="button primary" id="retry" href="${e(retry)}">${e(page.texts.retry)}</a>`);
  if (retry !== shop) {
    const primary = buttons.length === 0 && page.kind !== 'redirect' && page.kind !== 'in-app' ? ' primary' : '';
    buttons.push(`<a class="button${primary}" id="shop" href="${e(shop)}">${e(page.texts.shop)}</a>`);
  }
  return `<div class="actions">${buttons.join('')}</div>`;
}

/** The form of a redirect page: its button covers browsers that run no JavaScript; the script posts it at once. */
function form(page: BuyerPage): string {
  if (page.kind !== 'redirect') return '';
  const inputs = Object.entries(page.form.fields)
    .map(([k, v]) => `<input type="hidden" name="${e(k)}" value="${e(v)}">`)
    .join('\n');
  return `<form id="pay" method="post" action="${e(page.form.action)}" accept-charset="utf-8">
${inputs}
<div class="actions"><button class="button primary" type="submit">${e(page.texts.submit ?? '')}</button></div>
</form>
<script nonce="${e(page.nonce)}">document.getElementById('pay').submit()</script>`;
}

/** JSON that stays inert inside a `<script type="application/json">`: no `<`, no line separators. */
function scriptJson(value: unknown): string {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- undefined for undefined or a function
  return (JSON.stringify(value) ?? 'null')
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/**
 * The scripts of an invoke page: the provider's data as inert JSON, the scripts it loads, then its
 * own code. The code is the provider's and trusted; only an end tag inside it is neutralised.
 */
function invokeScripts(page: BuyerPage): string {
  if (page.kind !== 'invoke') return '';
  const nonce = e(page.nonce);
  const { data, sources, script } = page.invoke;
  const loads = sources.map((src) => `<script nonce="${nonce}" src="${e(src)}"></script>\n`).join('');
  return (
    `<script type="application/json" id="invoke-data">${scriptJson(data)}</script>\n${loads}` +
    `<script nonce="${nonce}">${script.replace(/<\/(script)/gi, '<\\/$1')}</script>`
  );
}

/** The link of an in-app page, and the arrow towards the app's menu. */
function inApp(page: BuyerPage): string {
  if (page.kind !== 'in-app') return '';
  return (
    `<p>${e(page.texts.link ?? '')}</p><p class="link" id="link">${e(page.link)}</p>\n` +
    '<div class="pointer" aria-hidden="true"><svg viewBox="0 0 24 24" width="40" height="40" fill="none" ' +
    'stroke="currentColor" stroke-width="2.2" stroke-linecap="round" stroke-linejoin="round">' +
    '<path d="M6 20C8 12 12 7 19 5M13 4l6 1-1 6"/></svg></div>'
  );
}

/** What tests and scripts can read without parsing the texts. */
function state(page: BuyerPage): string {
  if (page.kind === 'result') return ` data-outcome="${e(page.outcome)}"`;
  return page.kind === 'error' ? ` data-error="${e(page.error)}"` : '';
}

/** The whole HTML document of `page`. */
export function renderPage(page: BuyerPage): string {
  const icon = tone(page);
  const title = page.brand.name ? `${page.texts.title} · ${page.brand.name}` : page.texts.title;
  const refresh =
    page.kind === 'result' && page.refresh
      ? `<meta http-equiv="refresh" content="${page.refresh.seconds};url=${e(page.refresh.url)}">\n`
      : '';
  // The referrer meta overrides a host-wide `Referrer-Policy: no-referrer`: WeChat Pay's H5 cashier,
  // reached from the retry link, refuses a request without a Referer (docs/providers/wechatpay.md).
  const note = page.texts.note ? `<p class="note" role="status">${e(page.texts.note)}</p>` : '';
  return `<!doctype html>
<html lang="${e(page.locale)}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="strict-origin-when-cross-origin">
${refresh}<title>${e(title)}</title>
<style nonce="${e(page.nonce)}">${style(page.brand.color, icon.color)}</style>
</head><body>
${header(page)}
<main><div class="card" data-kind="${e(page.kind)}"${state(page)}>
${icon.html}
<h1>${e(page.texts.heading)}</h1>
<p>${e(page.texts.message)}</p>${note}
${inApp(page)}
${details(page)}
${form(page)}
${actions(page)}
</div></main>
${invokeScripts(page)}
</body></html>`;
}
