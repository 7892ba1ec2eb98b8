import type { PageLocale } from './types.js';

/** When nothing in `Accept-Language` matches: the buyers of these providers are in China. */
export const DEFAULT_LOCALE: PageLocale = 'zh-CN';
const LOCALES: readonly PageLocale[] = [DEFAULT_LOCALE, 'en'];
/** The ranges whose `q=0` rules out a locale these pages speak. */
const RULE_OUT = new Set(['zh', 'zh-cn', 'zh-hans', 'zh-hans-cn', 'en']);

/** The locale a language tag (`zh-TW`, `en-US`) maps to, if any. Every Chinese variant gets zh-CN. */
function localeOf(tag: string): PageLocale | undefined {
  const primary = tag.split('-')[0];
  if (primary === 'zh') return 'zh-CN';
  if (primary === 'en') return 'en';
  return undefined;
}

/**
 * The locale for an `Accept-Language` header: the supported language with the highest quality
 * value, earlier ranges first among equals. `q=0` rules a language out, and `*` stands for any
 * language not ruled out (RFC 9110 §12.5.4). Nothing acceptable: zh-CN.
 */
export function negotiateLocale(header: string | undefined): PageLocale {
  if (!header) return DEFAULT_LOCALE;
  const ranges: { tag: string; q: number; index: number }[] = [];
  header.split(',').forEach((part, index) => {
    const [tag = '', ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    let q = 1;
    for (const param of params) {
      const m = /^q=([01](?:\.\d{0,3})?)$/.exec(param);
      if (m) q = Number(m[1]);
    }
    if (tag) ranges.push({ tag, q, index });
  });
  // `en-GB;q=0` rules out only British English, which these pages do not speak; `en;q=0` rules out en.
  const excluded = new Set(ranges.filter((r) => r.q === 0 && RULE_OUT.has(r.tag)).map((r) => localeOf(r.tag)));
  const open = LOCALES.filter((locale) => !excluded.has(locale));
  ranges.sort((a, b) => b.q - a.q || a.index - b.index);
  for (const { tag, q } of ranges) {
    if (q === 0) continue;
    const locale = tag === '*' ? open[0] : localeOf(tag);
    if (locale && !excluded.has(locale)) return locale;
  }
  return open[0] ?? DEFAULT_LOCALE;
}
