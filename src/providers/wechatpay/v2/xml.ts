import { RequestError } from '../../../errors/index.js';

/**
 * A flat map of the children of `<xml>` (or `<root>` inside a decrypted `req_info`). A plain object,
 * handed to hooks as the event's `raw` without a copy: no element may be named like a member of
 * `Object.prototype`, so no field shadows one and no name reaches the prototype.
 */
export type XmlFields = Record<string, string>;

/** WeChat never sends more than a few KiB; anything near this is hostile or broken. */
const MAX_XML_BYTES = 64 * 1024;

/**
 * WeChat never sends a DTD; refusing it before parsing rules out XXE and entity expansion
 * (docs/providers/wechatpay.md#v2-xml).
 */
const DTD = /<!DOCTYPE|<!ENTITY/i;
const LEADING_DECL = /<\?xml[\s?][^?]*\?>/iy;
/** `__proto__`, `constructor`, `toString`…: names that would reach or shadow the prototype of a plain object. */
const reserved = (name: string) => name in Object.prototype || name === 'prototype';

const NAMED_ENTITY = /&(lt|gt|amp|quot|apos);/g;
const ENTITY_TEXT: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
const SLASH = 0x2f;
/** An element name at a position (sticky). */
const TAG_NAME = /[A-Za-z_][A-Za-z0-9_.-]*/y;

const malformed = (why: string) => new RequestError(`malformed XML: ${why}`);
const strayPi = () => new RequestError('the XML carries a processing instruction, which WeChat Pay never sends');

/** Skips whitespace from `i`; returns the next position. */
function skipSpace(text: string, i: number): number {
  while (i < text.length && (text[i] === ' ' || text[i] === '\n' || text[i] === '\r' || text[i] === '\t')) i++;
  return i;
}

/** Reads `<name …>` or `<name …/>` at `i` (attributes are skipped, as WeChat sends none). */
function openTag(text: string, i: number): { name: string; end: number; empty: boolean } {
  if (text[i] !== '<') throw malformed(`expected an element at offset ${i}`);
  TAG_NAME.lastIndex = i + 1;
  const m = TAG_NAME.exec(text);
  if (!m) throw text[i + 1] === '?' ? strayPi() : malformed(`bad element name at offset ${i}`);
  if (reserved(m[0]))
    throw new RequestError(`the XML uses the reserved element name <${m[0]}>, which WeChat Pay never sends`);
  let j = i + 1 + m[0].length;
  // The name ends at white space, "/" or ">": `<appid"x">` or `<a:b>` is not the field `appid`/`a`.
  if (j >= text.length || !' \t\r\n/>'.includes(text.charAt(j))) throw malformed(`bad element name at offset ${i}`);
  let quote = '';
  for (; j < text.length; j++) {
    const c = text[j];
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '>') break;
  }
  if (j >= text.length) throw malformed(`unterminated <${m[0]}>`);
  return { name: m[0], end: j + 1, empty: text[j - 1] === '/' };
}

/** Reads one field's value up to its closing tag: text (the five XML entities decoded) and CDATA. */
function fieldValue(text: string, i: number, name: string): { value: string; end: number } {
  let value = '';
  for (;;) {
    if (text.startsWith('<![CDATA[', i)) {
      const close = text.indexOf(']]>', i + 9);
      if (close < 0) throw malformed(`unterminated CDATA in <${name}>`);
      value += text.slice(i + 9, close);
      i = close + 3;
      continue;
    }
    const lt = text.indexOf('<', i);
    if (lt < 0) throw malformed(`<${name}> is not closed`);
    if (lt > i) {
      const chunk = text.slice(i, lt);
      value += chunk.includes('&')
        ? chunk.replace(NAMED_ENTITY, (entity, e: string) => ENTITY_TEXT[e] ?? entity)
        : chunk;
      i = lt;
      continue;
    }
    if (text.charCodeAt(i + 1) === SLASH && text.startsWith(name, i + 2)) {
      const end = skipSpace(text, i + 2 + name.length);
      if (text[end] !== '>') throw malformed(`bad closing tag of <${name}>`);
      return { value, end: end + 1 };
    }
    if (text.startsWith('<!--', i)) {
      const close = text.indexOf('-->', i + 4);
      if (close < 0) throw malformed('unterminated comment');
      i = close + 3;
      continue;
    }
    if (text[i + 1] === '/') throw malformed(`<${name}> is closed by another element`);
    if (text[i + 1] === '?') throw strayPi();
    throw new RequestError(`field <${name}> contains nested elements; WeChat Pay fields are flat strings`);
  }
}

/**
 * Parses a WeChat Pay v2 XML message into string fields. Refuses (RequestError, 400) a DTD or
 * entity declaration, stray processing instructions, a root other than `root`, nested elements,
 * a field given twice and reserved names, so only a flat map of strings ever leaves this function.
 * A strict single-pass reader of `<xml><k>v</k>…</xml>`: about 10× faster than a general XML
 * parser on a 1 KB notify (measured in bench/README.md), and nothing else is accepted anyway.
 */
export function parseXml(input: string | Buffer, root: 'xml' | 'root' = 'xml'): XmlFields {
  if ((typeof input === 'string' ? Buffer.byteLength(input, 'utf8') : input.length) > MAX_XML_BYTES) {
    throw new RequestError(`the XML body exceeds ${MAX_XML_BYTES} bytes`, 'BODY_TOO_LARGE');
  }
  const text = typeof input === 'string' ? input : input.toString('utf8');
  // The one check before reading: a DTD is refused outright, whatever else the document holds.
  if (DTD.test(text))
    throw new RequestError(
      'the XML carries a DOCTYPE or ENTITY declaration, which WeChat Pay never sends (refused: XXE / entity expansion)',
    );

  // A byte-order mark is not content.
  let i = skipSpace(text, text.charCodeAt(0) === 0xfeff ? 1 : 0);
  if (text[i] !== '<') throw new RequestError(`the body is not XML (WeChat Pay v2 sends <${root}>…</${root}>)`);
  LEADING_DECL.lastIndex = i;
  const decl = text[i + 1] === '?' ? LEADING_DECL.exec(text) : null;
  if (decl) i = skipSpace(text, i + decl[0].length);
  const top = openTag(text, i);
  if (top.name !== root) throw new RequestError(`the XML must have the single root <${root}>, got <${top.name}>`);
  const fields: XmlFields = {};
  const closeRoot = `</${root}`;
  i = top.end;
  if (!top.empty) {
    for (;;) {
      const next = text.indexOf('<', i);
      if (next < 0) throw malformed(`<${root}> is not closed`);
      if (skipSpace(text, i) !== next) throw new RequestError(`<${root}> contains stray text between elements`);
      i = next;
      if (text.startsWith(closeRoot, i)) {
        const end = skipSpace(text, i + 2 + root.length);
        if (text[end] !== '>') throw malformed(`bad closing tag of <${root}>`);
        i = end + 1;
        break;
      }
      if (text.startsWith('<!--', i)) {
        const close = text.indexOf('-->', i + 4);
        if (close < 0) throw malformed('unterminated comment');
        i = close + 3;
        continue;
      }
      if (text.startsWith('<![CDATA[', i)) throw new RequestError(`<${root}> contains stray text between elements`);
      if (text[i + 1] === '/') throw malformed(`unexpected closing tag at offset ${i}`);
      if (text[i + 1] === '?') throw strayPi();
      const tag = openTag(text, i);
      const { value, end } = tag.empty ? { value: '', end: tag.end } : fieldValue(text, tag.end, tag.name);
      if (Object.prototype.hasOwnProperty.call(fields, tag.name))
        throw new RequestError(`field <${tag.name}> appears more than once (a signature covers one value per field)`);
      fields[tag.name] = value;
      i = end;
    }
  }
  i = skipSpace(text, i);
  if (i !== text.length)
    throw new RequestError(`the XML must have the single root <${root}>, got content after </${root}>`);
  return fields;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `]]>` cannot appear inside CDATA: end the section before `>` and open a new one. */
function cdata(value: string): string {
  return `<![CDATA[${value.replace(/]]>/g, ']]]]><![CDATA[>')}]]>`;
}

/** Builds `<xml><k><![CDATA[v]]></k>…</xml>`; empty values are left out (they are not signed either). */
export function buildXml(fields: Readonly<Record<string, string | undefined>>, root: 'xml' | 'root' = 'xml'): string {
  let out = `<${root}>`;
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined || value === '') continue;
    if (!NAME.test(name)) throw new TypeError(`invalid XML field name ${JSON.stringify(name)}`);
    out += `<${name}>${cdata(value)}</${name}>`;
  }
  return `${out}</${root}>`;
}
