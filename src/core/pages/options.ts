import { ConfigError } from '../../errors/index.js';
import type { PagesOptions, ResolvedPages } from './types.js';

const KNOWN = new Set(['locale', 'shopName', 'color', 'logoUrl', 'shopUrl', 'render']);
const HEX_COLOR = /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i;
/** Neutral enough to sit next to any cashier's own colours. */
export const DEFAULT_COLOR = '#1f6feb';

/** An absolute http(s) URL, or `undefined`. */
function httpUrl(value: string): URL | undefined {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url : undefined;
  } catch {
    return undefined;
  }
}

function sameOrigin(path: string, origin: string): URL | undefined {
  const url = new URL(path, origin);
  return url.origin === origin ? url : undefined;
}

/** Checks the `pages` option of `createPayments`; one {@link ConfigError} names the first mistake. */
export function resolvePages(pages: PagesOptions | undefined, publicOrigin: string): ResolvedPages {
  if (pages === undefined) return { color: DEFAULT_COLOR, shopUrl: `${publicOrigin}/` };
  if (pages === null || typeof pages !== 'object' || Array.isArray(pages))
    throw new ConfigError('pages', 'must be an object such as { shopName, color, logoUrl, shopUrl, locale, render }');
  for (const name of Object.keys(pages)) {
    if (!KNOWN.has(name))
      throw new ConfigError(`pages.${name}`, `is not an option of pages: use one of ${[...KNOWN].join(', ')}`);
  }
  // `render` is called as the plain function `(page) => html` the option documents, never as a method of `pages`.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const { locale, shopName, color, logoUrl, shopUrl, render } = pages;
  if (locale !== undefined && locale !== 'zh-CN' && locale !== 'en')
    throw new ConfigError('pages.locale', `must be "zh-CN" or "en", got ${JSON.stringify(locale)}`);
  if (shopName !== undefined && (typeof shopName !== 'string' || !shopName.trim() || shopName.length > 64))
    throw new ConfigError('pages.shopName', 'must be a non-empty string of at most 64 characters');
  if (color !== undefined && (typeof color !== 'string' || !HEX_COLOR.test(color)))
    throw new ConfigError('pages.color', `must be a CSS hex colour such as "#b45309", got ${JSON.stringify(color)}`);
  const logo = typeof logoUrl === 'string' ? httpUrl(logoUrl) : undefined;
  if (logoUrl !== undefined && !logo)
    throw new ConfigError('pages.logoUrl', `must be an absolute http(s) URL, got ${JSON.stringify(logoUrl)}`);
  let shop = `${publicOrigin}/`;
  if (shopUrl !== undefined) {
    // A path stays on the shop's own origin ("//host" and "/\\host" would leave it).
    const url =
      typeof shopUrl !== 'string'
        ? undefined
        : shopUrl.startsWith('/')
          ? sameOrigin(shopUrl, publicOrigin)
          : httpUrl(shopUrl);
    if (!url)
      throw new ConfigError('pages.shopUrl', `must be an http(s) URL or a path, got ${JSON.stringify(shopUrl)}`);
    shop = url.href;
  }
  if (render !== undefined && typeof render !== 'function')
    throw new ConfigError('pages.render', 'must be a function (page) => html when given');
  return {
    locale,
    shopName: shopName?.trim(),
    color: (color ?? DEFAULT_COLOR).toLowerCase(),
    logoUrl: logo?.href,
    shopUrl: shop,
    render,
  };
}
