import type { CoreResponse } from '../../spi/types.js';
import type { CoreContext } from '../context.js';
import { renderPage } from './layout.js';
import type { BuyerPage } from './types.js';

/**
 * What the default pages may load: their own nonce'd `<style>` (and `<script>` on a redirect page),
 * the logo's origin, and for a redirect page a form post to the cashier. A gateway may answer that
 * post with a redirect to another of its hosts, and browsers check `form-action` on redirects too
 * (CSP Level 3, form-action), so any https target stays allowed there.
 */
/** The origin a form posts to, for `form-action`; a relative action stays on this origin. */
function originOf(action: string): string {
  try {
    return new URL(action).origin;
  } catch {
    return "'self'";
  }
}

/** The origins of the scripts an invoke page loads (its bridge may connect back to them). */
function sourceOrigins(page: BuyerPage): string[] {
  if (page.kind !== 'invoke') return [];
  return [...new Set(page.invoke.sources.map((src) => new URL(src).origin))];
}

/**
 * An invoke page runs inside an app that talks to its page through a bridge of its own, which
 * may use frames, requests or images the page cannot predict (older bridges signalled native code
 * through hidden frames with custom schemes). So it sets no `default-src`: only scripts (nonce'd,
 * and the provider's sources), styles, plugins, forms, the base URL and framing are restricted.
 */
function invokePolicy(page: BuyerPage, nonce: string): string {
  const sources = sourceOrigins(page).join(' ');
  return [
    `script-src ${nonce}${sources ? ` ${sources}` : ''}`,
    `style-src ${nonce}`,
    `object-src 'none'`,
    `form-action 'none'`,
    `base-uri 'none'`,
    `frame-ancestors 'none'`,
  ].join('; ');
}

function defaultPolicy(page: BuyerPage): string {
  const nonce = `'nonce-${page.nonce}'`;
  if (page.kind === 'invoke') return invokePolicy(page, nonce);
  const logo = page.brand.logoUrl ? new URL(page.brand.logoUrl).origin : "'none'";
  const directives = [`default-src 'none'`, `style-src ${nonce}`, `img-src ${logo}`];
  if (page.kind === 'redirect') {
    directives.push(`script-src ${nonce}`, `form-action ${originOf(page.form.action)} https:`);
  } else {
    directives.push(`form-action 'none'`);
  }
  directives.push(`base-uri 'none'`, `frame-ancestors 'none'`);
  return directives.join('; ');
}

/**
 * A shop's own template may use its stylesheets, fonts and scripts from its own origin, nonce'd
 * inline ones, and images from anywhere over https; still no framing and no base rewriting.
 */
function templatePolicy(page: BuyerPage): string {
  const nonce = `'nonce-${page.nonce}'`;
  const post = page.kind === 'redirect' ? ` ${originOf(page.form.action)} https:` : '';
  const sources = sourceOrigins(page)
    .map((origin) => ` ${origin}`)
    .join('');
  if (page.kind === 'invoke') {
    return [
      `style-src 'self' ${nonce}`,
      `script-src 'self' ${nonce}${sources}`,
      `object-src 'none'`,
      `form-action 'self'`,
      `base-uri 'none'`,
      `frame-ancestors 'none'`,
    ].join('; ');
  }
  return [
    `default-src 'self'`,
    `style-src 'self' ${nonce}`,
    `script-src 'self' ${nonce}`,
    `img-src 'self' https: data:`,
    `form-action 'self'${post}`,
    `base-uri 'none'`,
    `frame-ancestors 'none'`,
  ].join('; ');
}

function response(status: number, body: string, policy: string): CoreResponse {
  return {
    status,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'content-security-policy': policy,
      'x-content-type-options': 'nosniff',
    },
    body,
  };
}

/** Serves a page: the host's `pages.render` when it has one (its failure logged, the default page served instead). */
export async function servePage(core: CoreContext, page: BuyerPage): Promise<CoreResponse> {
  const render = core.config.pages.render;
  if (render) {
    try {
      const html = await render(page);
      if (typeof html !== 'string') throw new TypeError(`pages.render returned ${typeof html}, not a string`);
      return response(page.status, html, templatePolicy(page));
    } catch (error) {
      core.logger.error('pages.render failed; serving the default page', {
        page: page.kind,
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      });
    }
  }
  return response(page.status, renderPage(page), defaultPolicy(page));
}
