/** Small HTML pages the router serves: auto-submitting forms and the default result page. */

/** Escapes text for HTML element content and double-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;line-height:1.5}button{font-size:1rem;padding:.6rem 1.2rem}</style>
</head><body>${body}</body></html>`;
}

/**
 * A page that posts `fields` to `action` at once; the visible button covers browsers that run no
 * JavaScript.
 */
export function autoSubmitPage(
  action: string,
  fields: Readonly<Record<string, string>>,
  title = 'Redirecting to payment',
): string {
  const inputs = Object.entries(fields)
    .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`)
    .join('\n');
  return page(
    title,
    `<form id="pay" method="post" action="${escapeHtml(action)}" accept-charset="utf-8">
${inputs}
<p>${escapeHtml(title)}…</p><button type="submit">Continue to payment</button>
</form>
<script>document.getElementById('pay').submit()</script>`,
  );
}

/** The default page after `/return`, when the host gives no `resultUrl`. */
export function resultPage(orderId: string, outcome: string): string {
  const headline: Record<string, string> = {
    paid: 'Payment received',
    pending: 'Waiting for the payment to be confirmed',
    closed: 'This order is closed',
    failed: 'The payment did not go through',
  };
  return page(
    headline[outcome] ?? 'Payment status',
    `<h1>${escapeHtml(headline[outcome] ?? 'Payment status')}</h1><p>Order <code>${escapeHtml(orderId)}</code></p>`,
  );
}

/** A plain error page for browser routes. */
export function errorPage(status: number, message: string): string {
  return page(`Error ${status}`, `<h1>Payment error</h1><p>${escapeHtml(message)}</p>`);
}
