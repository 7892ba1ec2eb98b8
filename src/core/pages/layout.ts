import { escapeHtml as e } from './escape.js';
import type { BuyerPage } from './types.js';

/**
 * The default look of the buyer pages: one card on a phone-width column (390 px first), system
 * fonts with the Chinese ones named, no external asset. Every value is escaped here.
 */

/** Black or white, whichever reads better on `hex` (WCAG relative luminance). */
export function textOn(hex: string): string {
  const full = hex.length === 4 ? hex.replace(/[0-9a-f]/gi, (d) => d + d) : hex;
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = parseInt(full.slice(i, i + 2), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  const luminance = 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
  // White text needs contrast (1.05) / (L + 0.05); black needs (L + 0.05) / 0.05: equal at L ≈ 0.179.
  return luminance > 0.179 ? '#111111' : '#ffffff';
}

/** The icon and its colour of each state. */
const TONES: Record<string, { icon: string; color: string }> = {
  paid: { icon: '✓', color: '#16a34a' },
  refunded: { icon: '↩', color: '#2563eb' },
  pending: { icon: '', color: '#d97706' },
  unpaid: { icon: '!', color: '#d97706' },
  failed: { icon: '✕', color: '#dc2626' },
  cancelled: { icon: '←', color: '#6b7280' },
  closed: { icon: '–', color: '#6b7280' },
  redirect: { icon: '', color: '#6b7280' },
  error: { icon: '!', color: '#dc2626' },
};

function tone(page: BuyerPage): { icon: string; color: string; spin: boolean } {
  let name: string = page.kind === 'result' ? page.outcome : page.kind;
  if (page.kind === 'result' && page.outcome === 'pending' && !page.refresh) name = 'unpaid';
  if (page.kind === 'error' && (page.error === 'busy' || page.error === 'paid')) name = 'unpaid';
  const { icon, color } = TONES[name]!;
  return { icon, color, spin: icon === '' };
}

const FONTS =
  '-apple-system,BlinkMacSystemFont,"PingFang SC","Hiragino Sans GB","Noto Sans CJK SC","Source Han Sans SC",' +
  '"Microsoft YaHei",system-ui,"Segoe UI",Roboto,sans-serif';

function style(brand: string, state: string): string {
  return `*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;min-height:100vh;background:#f4f5f7;color:#1f2328;font:16px/1.6 ${FONTS}}
.bar{display:flex;align-items:center;gap:10px;min-height:56px;padding:10px 20px;background:#fff;border-top:4px solid ${brand};box-shadow:0 1px 0 #e5e7eb}
.bar a{display:flex;align-items:center;gap:10px;color:#1f2328;text-decoration:none;font-weight:600;font-size:17px;min-width:0}
.bar img{height:32px;width:auto;max-width:120px;object-fit:contain}
.bar span{overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
main{max-width:480px;margin:0 auto;padding:24px 16px 40px}
.card{background:#fff;border-radius:14px;padding:32px 20px 24px;text-align:center;box-shadow:0 1px 3px rgba(0,0,0,.06)}
.icon{width:64px;height:64px;margin:0 auto 16px;border-radius:50%;display:flex;align-items:center;justify-content:center;background:${state};color:#fff;font-size:34px;font-weight:700;line-height:1}
.spin{background:none;border:5px solid #e5e7eb;border-top-color:${state};animation:spin 1s linear infinite}
@keyframes spin{to{transform:rotate(360deg)}}
@media (prefers-reduced-motion:reduce){.spin{animation:none}}
h1{margin:0 0 8px;font-size:22px;line-height:1.35;font-weight:650}
p{margin:0 0 12px;color:#4b5563}
.note{display:inline-block;margin:4px 0 0;padding:6px 12px;border-radius:8px;background:#fff7ed;color:#9a3412;font-size:14px}
dl{display:grid;grid-template-columns:auto 1fr;gap:6px 12px;margin:20px 0 0;padding-top:16px;border-top:1px solid #eef0f2;text-align:left;font-size:14px}
dt{color:#6b7280;white-space:nowrap}
dd{margin:0;min-width:0;overflow-wrap:anywhere;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.actions{display:grid;gap:12px;margin-top:24px}
.button{display:block;width:100%;min-height:48px;padding:12px 16px;border:1px solid #d0d7de;border-radius:10px;background:#fff;color:#1f2328;font:inherit;font-size:16px;text-align:center;text-decoration:none;cursor:pointer}
.primary{border-color:${brand};background:${brand};color:${textOn(brand)};font-weight:600}
form{margin:0}`;
}

function header(page: BuyerPage): string {
  const { name, logoUrl } = page.brand;
  if (!name && !logoUrl) return '';
  const logo = logoUrl ? `<img src="${e(logoUrl)}" alt="${name ? '' : e(page.texts.shop)}">` : '';
  return `<header class="bar"><a href="${e(page.links.shop)}">${logo}${name ? `<span>${e(name)}</span>` : ''}</a></header>`;
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
  const { retry, shop } = page.links;
  if (retry && page.texts.retry)
    buttons.push(`<a class="button primary" id="retry" href="${e(retry)}">${e(page.texts.retry)}</a>`);
  if (retry !== shop) {
    const primary = buttons.length === 0 && page.kind !== 'redirect' ? ' primary' : '';
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

/** What tests and scripts can read without parsing the texts. */
function state(page: BuyerPage): string {
  if (page.kind === 'result') return ` data-outcome="${e(page.outcome)}"`;
  return page.kind === 'error' ? ` data-error="${e(page.error)}"` : '';
}

/** The whole HTML document of `page`. */
export function renderPage(page: BuyerPage): string {
  const { icon, color, spin } = tone(page);
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
<style nonce="${e(page.nonce)}">${style(page.brand.color, color)}</style>
</head><body>
${header(page)}
<main><div class="card" data-kind="${e(page.kind)}"${state(page)}>
<div class="icon${spin ? ' spin' : ''}" aria-hidden="true">${icon}</div>
<h1>${e(page.texts.heading)}</h1>
<p>${e(page.texts.message)}</p>${note}
${details(page)}
${form(page)}
${actions(page)}
</div></main>
</body></html>`;
}
