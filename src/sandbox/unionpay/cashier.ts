import { yuan } from '../wire/money.js';
import type { GatewayError } from './codes.js';
import { MASKED_CARD } from './notify.js';
import type { Txn } from './transactions.js';

/**
 * The simulated UnionPay mobile cashier: the page the buyer's browser lands on after the
 * merchant's auto-submitting form, the page that posts the signed result back to `frontUrl`,
 * and the error / "you left" pages. Mobile first: one column, large touch targets.
 */

/**
 * Escapes for HTML text and double-quoted attributes. CR and LF become character references so
 * that `signPubKeyCert` keeps its CRLF (signed bytes) through the HTML parser, which would
 * otherwise fold a literal CR LF into LF.
 */
export function esc(text: string): string {
  return text.replace(/[&<>"'\r\n]/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `
*{box-sizing:border-box}
body{margin:0;font-family:-apple-system,BlinkMacSystemFont,"PingFang SC","Helvetica Neue","Microsoft YaHei",system-ui,sans-serif;background:#f2f4f7;color:#1d2129;line-height:1.45}
header{background:linear-gradient(135deg,#e60012 0%,#c1000f 45%,#00508e 100%);color:#fff;padding:1.1rem 1.25rem 3.2rem}
header .brand{display:flex;align-items:center;gap:.6rem;font-weight:600;letter-spacing:.02em}
header .logo{display:inline-grid;place-items:center;width:2.1rem;height:1.5rem;border-radius:.3rem;background:#fff;color:#e60012;font-size:.7rem;font-weight:800}
header .sandbox{margin-left:auto;font-size:.7rem;padding:.15rem .5rem;border:1px solid rgba(255,255,255,.6);border-radius:1rem}
main{max-width:30rem;margin:-2.4rem auto 2rem;padding:0 1rem}
.card{background:#fff;border-radius:.9rem;box-shadow:0 6px 24px rgba(0,30,80,.08);padding:1.25rem;margin-bottom:1rem}
.amount{text-align:center;padding:.4rem 0 1rem;border-bottom:1px dashed #e5e6eb}
.amount small{display:block;color:#86909c;font-size:.85rem}
.amount strong{font-size:2.3rem;font-weight:700;letter-spacing:-.01em}
.amount strong span{font-size:1.3rem;margin-right:.15rem}
dl{margin:.9rem 0 0;display:grid;grid-template-columns:auto 1fr;gap:.45rem .9rem;font-size:.9rem}
dt{color:#86909c}dd{margin:0;text-align:right;word-break:break-all}
.cardrow{display:flex;align-items:center;gap:.75rem}
.chip{width:2.6rem;height:1.8rem;border-radius:.35rem;background:linear-gradient(135deg,#ffd66b,#e6a700)}
.cardrow div{flex:1}.cardrow b{display:block;font-size:.95rem}.cardrow span{color:#86909c;font-size:.8rem}
button{display:block;width:100%;border:0;border-radius:.7rem;font-size:1.05rem;padding:.95rem;margin-top:.7rem;cursor:pointer;font-family:inherit}
.pay{background:#e60012;color:#fff;font-weight:600;box-shadow:0 4px 12px rgba(230,0,18,.25)}
.fail{background:#fff;color:#c1000f;border:1px solid #f3b5ba}
.abandon{background:transparent;color:#4e5969;text-decoration:underline;padding:.6rem}
.note{color:#86909c;font-size:.8rem;text-align:center;margin-top:1rem}
.state{text-align:center;padding:1.5rem 1rem}
.state .icon{width:3.6rem;height:3.6rem;border-radius:50%;display:grid;place-items:center;margin:0 auto .8rem;font-size:1.8rem;color:#fff}
.ok .icon{background:#00b42a}.bad .icon{background:#f53f3f}.info .icon{background:#86909c}
.state h1{font-size:1.25rem;margin:.2rem 0}.state p{color:#4e5969;margin:.4rem 0}
code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.85em;background:#f2f3f5;padding:.1rem .35rem;border-radius:.25rem}
.end_error{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.85rem;background:#fff2f0;color:#c1000f;border-radius:.5rem;padding:.75rem;text-align:left;word-break:break-word}
`;

function page(title: string, body: string, script = ''): string {
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1,viewport-fit=cover">
<meta name="theme-color" content="#e60012"><title>${esc(title)}</title><style>${STYLE}</style></head>
<body><header><div class="brand"><span class="logo">银联</span>UnionPay 银联在线支付<span class="sandbox">SANDBOX</span></div></header>
<main>${body}</main>${script}</body></html>`;
}

/** The cashier: amount, order, the test card, and Pay / Fail / Abandon in one form. */
export function cashierPage(baseUrl: string, txn: Txn): string {
  const item = txn.orderDesc ?? txn.commodityName;
  return page(
    '银联在线支付 · UnionPay checkout',
    `<div class="card">
<div class="amount"><small>订单金额 Amount due</small><strong><span>¥</span>${esc(yuan(txn.txnAmt))}</strong></div>
<dl>
<dt>商户 Merchant</dt><dd>${esc(txn.merId)}</dd>
<dt>订单号 Order</dt><dd><code>${esc(txn.orderId)}</code></dd>
${item ? `<dt>商品 Item</dt><dd>${esc(item)}</dd>` : ''}
<dt>下单时间 Time</dt><dd>${esc(txn.txnTime.replace(/^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)$/, '$1-$2-$3 $4:$5:$6'))}</dd>
</dl></div>
<div class="card"><div class="cardrow"><span class="chip"></span><div><b>平安银行 借记卡 · Debit</b><span>${esc(MASKED_CARD)} · 全渠道</span></div></div></div>
<form method="post" action="${esc(`${baseUrl}/cashier`)}">
<input type="hidden" name="session" value="${esc(txn.session ?? '')}">
<button class="pay" type="submit" name="action" value="pay">确认付款 Pay ¥${esc(yuan(txn.txnAmt))}</button>
<button class="fail" type="submit" name="action" value="fail">模拟支付失败 Simulate a declined card</button>
<button class="abandon" type="submit" name="action" value="abandon">放弃支付 Leave without paying</button>
</form>
<p class="note">Sandbox cashier: no real money moves. 测试环境，不发生真实交易。</p>`,
  );
}

/**
 * The page after paying (or failing): the signed result posted to `frontUrl` at once, and a
 * visible "return to merchant" button for browsers without JavaScript.
 */
export function resultPostPage(
  frontUrl: string,
  fields: Readonly<Record<string, string>>,
  succeeded: boolean,
  txn: Txn,
): string {
  const inputs = Object.entries(fields)
    .map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`)
    .join('\n');
  const state = succeeded
    ? `<div class="state ok"><div class="icon">✓</div><h1>支付成功 Payment successful</h1><p>¥${esc(yuan(txn.txnAmt))} · <code>${esc(txn.orderId)}</code></p></div>`
    : `<div class="state bad"><div class="icon">!</div><h1>支付失败 Payment failed</h1><p>${esc(txn.respMsg ?? '')}</p></div>`;
  return page(
    succeeded ? '支付成功 · Payment successful' : '支付失败 · Payment failed',
    `<div class="card">${state}
<form id="result" method="post" action="${esc(frontUrl)}" accept-charset="utf-8">
${inputs}
<button class="pay" type="submit">返回商户 Return to merchant</button>
</form></div>`,
    `<script>setTimeout(function(){document.getElementById('result').submit()},1200)</script>`,
  );
}

/** After "abandon": nothing is sent to the merchant. */
export function abandonPage(txn: Txn): string {
  return page(
    '已离开支付 · Payment left',
    `<div class="card"><div class="state info"><div class="icon">←</div><h1>您已离开支付 You left the payment</h1>
<p>订单 <code>${esc(txn.orderId)}</code> 未支付。Nothing was charged and nothing was sent to the merchant.</p>
<p>Return to the shop to try again.</p></div></div>`,
  );
}

/** A notice (already paid, expired, unknown session…). */
export function noticePage(title: string, message: string): string {
  return page(
    title,
    `<div class="card"><div class="state info"><div class="icon">i</div><h1>${esc(title)}</h1><p>${esc(message)}</p></div></div>`,
  );
}

/** UnionPay's error page for a refused front request: `交易失败 11[9100004]…`. */
export function errorPage(error: GatewayError): string {
  return page(
    '交易失败 · Transaction failed',
    `<div class="card"><div class="state bad"><div class="icon">×</div><h1>交易失败 Transaction failed</h1>
<p class="end_error" id="respCode" data-resp-code="${esc(error.respCode)}">${esc(error.respCode)}[${esc(error.detail)}]${esc(error.text)}</p>
<p>The merchant's request was refused; nothing was charged.</p></div></div>`,
  );
}
