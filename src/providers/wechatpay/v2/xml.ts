import { XMLParser } from 'fast-xml-parser';
import { RequestError } from '../../../core/errors.js';

/** A flat, null-prototype map of the children of `<xml>` (or `<root>` inside a decrypted `req_info`). */
export type XmlFields = Record<string, string>;

/** WeChat never sends more than a few KiB; anything near this is hostile or broken. */
const MAX_XML_BYTES = 64 * 1024;

/** WeChat never sends a DTD; refusing it before parsing rules out XXE and entity expansion (spec §A.12). */
const DTD = /<!DOCTYPE|<!ENTITY/i;
/** Processing instructions other than a leading XML declaration. */
const STRAY_PI = /<\?(?!xml[\s?])/i;
const LEADING_DECL = /^\s*<\?xml[^?]*\?>/i;
/** Names that would reach an object's prototype if a parser ever copied them onto a plain object. */
const FORBIDDEN_NAME = /<\/?\s*(__proto__|constructor|prototype)[\s/>]/;

const parser = new XMLParser({
  // parseTagValue:false keeps a 28-digit transaction_id and leading zeros exactly as sent.
  parseTagValue: false,
  ignoreAttributes: true,
  // trimming would change signed values that carry spaces inside CDATA.
  trimValues: false,
  processEntities: true,
  htmlEntities: false,
  ignoreDeclaration: true,
});

/**
 * Parses a WeChat Pay v2 XML message into string fields. Refuses (RequestError, 400) a DTD or
 * entity declaration, stray processing instructions, a root other than `root`, nested elements,
 * a field given twice and reserved names, so only a flat map of strings ever leaves this function.
 */
export function parseXml(input: string | Buffer, root: 'xml' | 'root' = 'xml'): XmlFields {
  const text = typeof input === 'string' ? input : input.toString('utf8');
  if (Buffer.byteLength(text, 'utf8') > MAX_XML_BYTES) throw new RequestError(`the XML body exceeds ${MAX_XML_BYTES} bytes`, 413);
  if (DTD.test(text)) throw new RequestError('the XML carries a DOCTYPE or ENTITY declaration, which WeChat Pay never sends (refused: XXE / entity expansion)');
  if (STRAY_PI.test(text.replace(LEADING_DECL, ''))) throw new RequestError('the XML carries a processing instruction, which WeChat Pay never sends');
  if (FORBIDDEN_NAME.test(text)) throw new RequestError('the XML uses a reserved element name (__proto__, constructor or prototype)');
  if (!text.trim().startsWith('<')) throw new RequestError(`the body is not XML (WeChat Pay v2 sends <${root}>…</${root}>)`);

  let doc: Record<string, unknown>;
  try {
    doc = parser.parse(text, true) as Record<string, unknown>;
  } catch (error) {
    throw new RequestError(`malformed XML: ${(error as Error).message.split('\n')[0]}`);
  }
  const names = Object.keys(doc);
  if (names.length !== 1 || names[0] !== root) throw new RequestError(`the XML must have the single root <${root}>, got ${names.map((n) => `<${n}>`).join(', ') || 'nothing'}`);
  const body = doc[root];
  const fields: XmlFields = Object.create(null) as XmlFields;
  if (body === '' || body === undefined) return fields;
  if (typeof body !== 'object' || body === null) throw new RequestError(`<${root}> must contain elements, not text`);
  for (const [name, value] of Object.entries(body as Record<string, unknown>)) {
    if (name === '#text') {
      if (typeof value === 'string' && value.trim() === '') continue;
      throw new RequestError(`<${root}> contains stray text between elements`);
    }
    if (Array.isArray(value)) throw new RequestError(`field <${name}> appears more than once (a signature covers one value per field)`);
    if (typeof value !== 'string') throw new RequestError(`field <${name}> contains nested elements; WeChat Pay fields are flat strings`);
    fields[name] = value;
  }
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
