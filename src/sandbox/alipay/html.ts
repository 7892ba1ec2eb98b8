import type { SandboxResponse } from '../types.js';

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML element content and double-quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

const STYLE = `
*{box-sizing:border-box}body{margin:0;font:16px/1.5 -apple-system,BlinkMacSystemFont,"PingFang SC","Helvetica Neue",sans-serif;background:#f5f6f8;color:#1f2329}
main{max-width:420px;margin:0 auto;padding:16px}
.card{background:#fff;border-radius:14px;padding:20px;box-shadow:0 1px 4px rgba(0,0,0,.06)}
header{display:flex;align-items:center;gap:8px;font-weight:600;margin-bottom:12px}
.logo{display:inline-grid;place-items:center;width:28px;height:28px;border-radius:8px;background:#1677ff;color:#fff;font-size:15px}
.badge{margin-left:auto;font-size:11px;letter-spacing:.05em;color:#ad6800;background:#fff7e6;border:1px solid #ffd591;border-radius:6px;padding:1px 6px}
.subject{margin:8px 0 0;color:#646a73;text-align:center}
.amount{margin:4px 0 16px;text-align:center;font-size:40px;font-weight:600}
.amount small{font-size:22px;margin-right:4px}
dl{display:grid;grid-template-columns:auto 1fr;gap:6px 12px;margin:0 0 20px;font-size:14px}
dt{color:#8f959e}dd{margin:0;text-align:right;word-break:break-all}
button{display:block;width:100%;border:0;border-radius:10px;padding:14px;font-size:17px;margin-top:10px;cursor:pointer}
.pay{background:#1677ff;color:#fff}.cancel{background:#f2f3f5;color:#1f2329}
.error{color:#d4380d;font-weight:600}
footer{margin-top:16px;text-align:center;font-size:12px;color:#8f959e}
a{color:#1677ff}
`;

/** A small mobile-first page. `body` must already be escaped. */
export function htmlPage(title: string, body: string, status = 200): SandboxResponse {
  const html = `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><main><div class="card">
<header><span class="logo">支</span><span>支付宝 · 收银台</span><span class="badge">SANDBOX</span></header>
${body}
</div><footer>paymount sandbox — no real money moves</footer></main></body></html>`;
  return { status, headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }, body: html };
}

/**
 * The cashier's error page. Alipay answers these with status 200 and the code in the text
 * (`错误代码 invalid-signature`); the full sub_code is shown so it can be searched for.
 */
export function errorPage(subCode: string, subMsg: string, status = 200): SandboxResponse {
  return htmlPage(
    '支付宝 - 错误',
    `<p class="error">出错了 / Something went wrong</p>
<p>错误代码 ${escapeHtml(subCode)}</p>
<p style="word-break:break-all;font-size:14px;color:#646a73">${escapeHtml(subMsg)}</p>`,
    status,
  );
}
