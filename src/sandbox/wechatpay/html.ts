import type { SandboxResponse } from '../types.js';

/** Escapes text for HTML content and attribute values. */
export function esc(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** A small mobile page in WeChat's green. */
export function page(
  status: number,
  title: string,
  inner: string,
  headers: Record<string, string> = {},
): SandboxResponse {
  const body = `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title>
<style>
body{margin:0;font-family:-apple-system,"PingFang SC","Helvetica Neue",sans-serif;background:#ededed;color:#191919}
main{max-width:420px;margin:0 auto;padding:32px 20px;text-align:center}
.brand{color:#07c160;font-weight:600;letter-spacing:.05em}
.amount{font-size:40px;font-weight:600;margin:12px 0 4px}
.subject{color:#555;margin-bottom:28px;word-break:break-all}
.note{color:#888;font-size:13px;margin-top:24px}
button{display:block;width:100%;border:0;border-radius:8px;padding:14px;font-size:17px;margin:10px 0;cursor:pointer}
button[value=pay]{background:#07c160;color:#fff}
button[value=cancel]{background:#fff;color:#191919}
button[value=fail]{background:#fff;color:#fa5151}
.error{color:#fa5151;font-size:18px;margin:24px 0}
</style></head>
<body><main><div class="brand">微信支付 · paymount sandbox</div>
${inner}
</main></body></html>`;
  return { status, headers: { 'content-type': 'text/html; charset=utf-8', ...headers }, body };
}

/** An error page the way WeChat's cashier shows them: one line of text, plus what to fix. */
export function errorPage(status: number, message: string, hint: string): SandboxResponse {
  return page(status, message, `<p class="error">${esc(message)}</p><p class="note">${esc(hint)}</p>`, {
    'x-sandbox-error': encodeURIComponent(message),
  });
}
