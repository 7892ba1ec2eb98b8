/**
 * The "bare" WeChat Pay v2 XML reader: a small strict parser for `<xml><k>v</k>…</xml>` only.
 * It decodes CDATA, the five predefined entities and numeric references, and rejects DOCTYPE,
 * processing instructions, attributes, nesting, duplicate fields, unknown entities and inputs over
 * 64 KiB. It is the baseline a careful hand-written notify handler would use, not part of paymount.
 */

const MAX = 64 * 1024;
const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;
const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeText(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(/&([^;]*);?/g, (whole, ref: string) => {
    if (!whole.endsWith(';')) throw new Error('unterminated entity');
    if (ref in NAMED) return NAMED[ref]!;
    const code = ref.startsWith('#x')
      ? parseInt(ref.slice(2), 16)
      : ref.startsWith('#')
        ? parseInt(ref.slice(1), 10)
        : NaN;
    if (!Number.isInteger(code) || code < 0 || code > 0x10ffff) throw new Error(`unknown entity &${ref};`);
    return String.fromCodePoint(code);
  });
}

export function parseFlatXml(input: string): Record<string, string> {
  if (input.length > MAX) throw new Error('XML too large');
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  let i = 0;
  const ws = () => {
    while (i < input.length && ' \t\r\n'.includes(input[i]!)) i++;
  };
  const expect = (s: string) => {
    if (!input.startsWith(s, i)) throw new Error(`expected ${s} at ${i}`);
    i += s.length;
  };
  ws();
  if (input.startsWith('<?xml', i)) {
    const end = input.indexOf('?>', i);
    if (end < 0) throw new Error('unterminated declaration');
    i = end + 2;
    ws();
  }
  expect('<xml>');
  for (;;) {
    ws();
    if (input.startsWith('</xml>', i)) break;
    expect('<');
    NAME.lastIndex = i;
    const m = NAME.exec(input);
    if (!m) throw new Error(`bad element name at ${i}`);
    const name = m[0];
    i += name.length;
    expect('>');
    let value = '';
    for (;;) {
      if (input.startsWith('<![CDATA[', i)) {
        const end = input.indexOf(']]>', i + 9);
        if (end < 0) throw new Error('unterminated CDATA');
        value += input.slice(i + 9, end);
        i = end + 3;
        continue;
      }
      const lt = input.indexOf('<', i);
      if (lt < 0) throw new Error('unterminated element');
      if (lt > i) {
        value += decodeText(input.slice(i, lt));
        i = lt;
        continue;
      }
      break;
    }
    expect(`</${name}>`);
    if (name in out) throw new Error(`duplicate field ${name}`);
    out[name] = value;
  }
  i += 6;
  ws();
  if (i !== input.length) throw new Error('content after </xml>');
  return out;
}
