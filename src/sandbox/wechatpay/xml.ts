/**
 * WeChat Pay v2 XML: one root (`<xml>`, or `<root>` inside a decrypted `req_info`) with flat
 * children. A small strict parser rather than a general one: DOCTYPE/ENTITY, processing
 * instructions, comments, nesting, duplicates and prototype keys are refused by construction,
 * and every value stays a string (WeChat Pay, "关于XML解析存在的安全问题指引").
 */

/** Why a body is not acceptable WeChat XML; the v2 handlers answer `XML_FORMAT_ERROR` with it. */
export class XmlError extends Error {}

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*/;
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodeText(text: string): string {
  return text.replace(/&([^;&\s]*);?/g, (match, name: string) => {
    if (!match.endsWith(';')) throw new XmlError('a bare "&" in a value (escape it or wrap the value in CDATA)');
    if (name.startsWith('#x') || name.startsWith('#X')) return String.fromCodePoint(parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(Number(name.slice(1)));
    const known = ENTITIES[name];
    if (known === undefined)
      throw new XmlError(`unknown entity &${name}; (only the five predefined entities are allowed)`);
    return known;
  });
}

/** Parses flat WeChat XML into a null-prototype map of strings. Throws {@link XmlError}. */
export function parseFlatXml(input: string, root: 'xml' | 'root' = 'xml'): Record<string, string> {
  if (/<!DOCTYPE|<!ENTITY/i.test(input))
    throw new XmlError('DOCTYPE/ENTITY declarations are refused (WeChat never sends them)');
  let text = input.replace(/^\uFEFF/, '').trim();
  const declaration = /^<\?xml\b[^?]*\?>/.exec(text);
  if (declaration) text = text.slice(declaration[0].length).trimStart();
  if (text.includes('<?')) throw new XmlError('processing instructions are refused');
  if (text.includes('<!--')) throw new XmlError('comments are refused');
  const open = `<${root}>`;
  const close = `</${root}>`;
  if (!text.startsWith(open) || !text.endsWith(close)) throw new XmlError(`the document must be one <${root}> element`);
  const body = text.slice(open.length, text.length - close.length);
  const fields: Record<string, string> = Object.create(null);
  let i = 0;
  while (i < body.length) {
    const ws = /^\s*/.exec(body.slice(i))![0].length;
    i += ws;
    if (i >= body.length) break;
    if (body[i] !== '<') throw new XmlError(`text outside an element near "${body.slice(i, i + 20)}"`);
    const name = NAME.exec(body.slice(i + 1))?.[0];
    if (!name) throw new XmlError(`malformed element near "${body.slice(i, i + 20)}"`);
    if (FORBIDDEN_KEYS.has(name)) throw new XmlError(`field name "${name}" is refused`);
    if (name in fields) throw new XmlError(`field "${name}" appears more than once`);
    i += 1 + name.length;
    if (body.startsWith('/>', i)) {
      fields[name] = '';
      i += 2;
      continue;
    }
    if (body[i] !== '>') throw new XmlError(`attributes are not expected on <${name}>`);
    i += 1;
    let value = '';
    for (;;) {
      if (i >= body.length) throw new XmlError(`<${name}> is not closed`);
      if (body.startsWith('<![CDATA[', i)) {
        const end = body.indexOf(']]>', i + 9);
        if (end === -1) throw new XmlError(`unterminated CDATA in <${name}>`);
        value += body.slice(i + 9, end);
        i = end + 3;
      } else if (body.startsWith(`</${name}>`, i)) {
        i += name.length + 3;
        break;
      } else if (body[i] === '<') {
        throw new XmlError(
          `<${name}> contains a nested element: every field must be a string (serialise JSON fields such as scene_info with JSON.stringify)`,
        );
      } else {
        const next = body.indexOf('<', i);
        const end = next === -1 ? body.length : next;
        value += decodeText(body.slice(i, end));
        i = end;
      }
    }
    fields[name] = value;
  }
  return fields;
}

function cdata(value: string): string {
  return `<![CDATA[${value.replace(/]]>/g, ']]]]><![CDATA[>')}]]>`;
}

/** Builds `<xml>` (or `<root>`) with CDATA for text and bare digits for numbers, as WeChat's traffic looks. */
export function buildFlatXml(
  fields: Readonly<Record<string, string | undefined>>,
  root: 'xml' | 'root' = 'xml',
): string {
  let out = `<${root}>`;
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    out += `<${key}>${/^\d+$/.test(value) ? value : cdata(value)}</${key}>`;
  }
  return `${out}</${root}>`;
}
