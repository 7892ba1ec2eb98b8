import type { Fields } from './fields.js';

/**
 * `application/x-www-form-urlencoded` as the HTML and URL standards define it: pairs split on `&`,
 * name and value on the first `=`, `+` read as a space, `%XX` as UTF-8 bytes. Each field is decoded
 * once: Alipay's `passback_params` arrives still percent-encoded and is signed in that form.
 */

/** Thrown for a body that is not a form: a repeated field, or a `%` that does not start a UTF-8 byte. */
export class FormError extends Error {
  override name = 'FormError';
}

function decode(part: string): string {
  const text = part.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(text);
  } catch {
    throw new FormError(
      'malformed percent-encoding in form data (a "%" not followed by two hex digits, or invalid UTF-8)',
    );
  }
}

/**
 * Reads a form body or query string into a prototype-free map. A repeated field is refused: a
 * signature covers one value per name, so a second value could only be smuggled in.
 */
export function parseForm(text: string): Fields {
  const fields: Fields = Object.create(null);
  for (const pair of text.split('&')) {
    if (pair === '') continue;
    const at = pair.indexOf('=');
    const name = decode(at < 0 ? pair : pair.slice(0, at));
    if (name in fields) throw new FormError(`field "${name}" appears more than once`);
    fields[name] = at < 0 ? '' : decode(pair.slice(at + 1));
  }
  return fields;
}

/** Every name and value percent-encoded, spaces as `%20` (how UnionPay posts its notifications). */
export function encodeForm(fields: Readonly<Fields>): string {
  return Object.keys(fields)
    .map((name) => `${encodeURIComponent(name)}=${encodeURIComponent(fields[name]!)}`)
    .join('&');
}

/**
 * The form as Java's `URLEncoder` writes it, which is how Alipay's notifier and return redirect
 * encode: spaces as `+`, and `! ' ( ) ~` percent-encoded as well.
 */
export function encodeFormJava(fields: Readonly<Fields>): string {
  const encode = (text: string) =>
    encodeURIComponent(text)
      .replace(/%20/g, '+')
      .replace(/[!'()~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return Object.keys(fields)
    .map((name) => `${encode(name)}=${encode(fields[name]!)}`)
    .join('&');
}
