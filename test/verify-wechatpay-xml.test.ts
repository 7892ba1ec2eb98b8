import { describe, expect, it } from 'vitest';
import { RequestError } from '../src/errors/index.js';
import { parseXml } from '../src/providers/wechatpay/v2/xml.js';

/**
 * The reader of WeChat Pay v2 messages (`<xml><k>v</k>…</xml>`, and `<root>` inside a decrypted refund
 * `req_info`): what it accepts of well-formed XML, and each malformed or hostile document refused with
 * a 400 naming what is wrong, before any field reaches signature checks or hooks
 * (docs/providers/wechatpay.md#v2-xml).
 */

/** The refusal `parseXml` throws for `doc`: a RequestError (400, or `status`) whose message matches `message`. */
function refusal(doc: string | Buffer, message: RegExp | string, root?: 'xml' | 'root', status = 400): void {
  let thrown: unknown;
  try {
    parseXml(doc, root);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(RequestError);
  const error = thrown as RequestError;
  expect(error.status).toBe(status);
  if (typeof message === 'string') expect(error.message).toBe(message);
  else expect(error.message).toMatch(message);
}

/** The fields of `doc` as a plain record. */
const fieldsOf = (doc: string | Buffer, root?: 'xml' | 'root') => ({ ...parseXml(doc, root) });

describe('WeChat Pay v2 XML: what is read', () => {
  it('skips attributes, whose quoted values may hold ">" or the other quote', () => {
    expect(fieldsOf('<xml><a x="1>2">v</a><b y=\'say "hi"\'>w</b></xml>')).toEqual({ a: 'v', b: 'w' });
    expect(fieldsOf("<xml><a x='1>2'>v</a></xml>")).toEqual({ a: 'v' });
  });

  it('reads empty elements, empty fields and an empty root as empty', () => {
    expect(fieldsOf('<xml><a/><b></b><c /></xml>')).toEqual({ a: '', b: '', c: '' });
    expect(fieldsOf('<xml></xml>')).toEqual({});
    expect(fieldsOf('<xml/>')).toEqual({});
  });

  it('joins CDATA sections and text, and decodes only the five XML entities', () => {
    expect(fieldsOf('<xml><a><![CDATA[x<y]]><![CDATA[]]>z</a></xml>').a).toBe('x<yz');
    expect(fieldsOf('<xml><a>&lt;&gt;&amp;&quot;&apos;&nbsp;&#65;</a></xml>').a).toBe('<>&"\'&nbsp;&#65;');
  });

  it('skips comments between fields and inside a value', () => {
    expect(fieldsOf('<xml><!-- first --><a>1<!-- inside -->2</a><!----></xml>')).toEqual({ a: '12' });
  });

  it('allows white space (space, tab, CR, LF) around elements and before a closing ">"', () => {
    expect(fieldsOf('\t\r\n <xml>\t\r\n<a>1</a >\t\r\n</xml >\r\n')).toEqual({ a: '1' });
  });

  it('allows a byte-order mark and the XML declaration before the root', () => {
    expect(fieldsOf('\uFEFF<xml><a>1</a></xml>')).toEqual({ a: '1' });
    expect(fieldsOf('<?xml version="1.0" encoding="UTF-8"?><xml><a>1</a></xml>')).toEqual({ a: '1' });
  });

  it('reads names with digits, dots, dashes and underscores', () => {
    expect(fieldsOf('<xml><a.b-c_1>1</a.b-c_1><_x>2</_x></xml>')).toEqual({ 'a.b-c_1': '1', _x: '2' });
  });

  it('reads bytes as UTF-8', () => {
    expect(fieldsOf(Buffer.from('<xml><body>支付</body></xml>', 'utf8'))).toEqual({ body: '支付' });
  });

  it('reads the <root> of a decrypted req_info when asked to, and refuses <xml> there', () => {
    expect(fieldsOf('<root><out_refund_no>R1</out_refund_no></root>', 'root')).toEqual({ out_refund_no: 'R1' });
    refusal('<xml><a>1</a></xml>', 'the XML must have the single root <root>, got <xml>', 'root');
    refusal('<root><a>1</a></xml>', /^malformed XML: unexpected closing tag at offset 14$/, 'root');
  });
});

describe('WeChat Pay v2 XML: what is refused', () => {
  it('a document of more than 64 KiB, counted in bytes, as too large (413)', () => {
    const tooLarge = (doc: string | Buffer) => refusal(doc, 'the XML body exceeds 65536 bytes', 'xml', 413);
    const wrap = (n: number) => `<xml><a>${'x'.repeat(n)}</a></xml>`;
    const overhead = wrap(0).length;
    expect(parseXml(wrap(64 * 1024 - overhead)).a).toHaveLength(64 * 1024 - overhead);
    expect(parseXml(Buffer.from(wrap(64 * 1024 - overhead))).a).toHaveLength(64 * 1024 - overhead);
    tooLarge(wrap(64 * 1024 - overhead + 1));
    tooLarge(Buffer.from(wrap(64 * 1024 - overhead + 1)));
    // 22,000 characters, 66,000 bytes of UTF-8.
    tooLarge(`<xml><a>${'支'.repeat(22_000)}</a></xml>`);
  });

  it('a body that is not XML, or holds something other than an element where the root belongs', () => {
    refusal('not xml', 'the body is not XML (WeChat Pay v2 sends <xml>…</xml>)');
    refusal('<?xml version="1.0"?>junk', 'malformed XML: expected an element at offset 21');
  });

  it('processing instructions other than the leading declaration', () => {
    const pi = 'the XML carries a processing instruction, which WeChat Pay never sends';
    refusal('<?php echo 1 ?><xml><a>1</a></xml>', pi);
    refusal('<xml><?pi x?><a>1</a></xml>', pi);
    refusal('<xml><a>1<?pi x?></a></xml>', pi);
    refusal('<xml><a>1<?a x?></a></xml>', pi);
  });

  it('element names that are not names, or carry a prefix', () => {
    refusal('<xml><1a>1</1a></xml>', 'malformed XML: bad element name at offset 5');
    refusal('<xml><a:b>1</a:b></xml>', 'malformed XML: bad element name at offset 5');
    refusal('<xml><appid"x">1</appid></xml>', 'malformed XML: bad element name at offset 5');
    refusal('<xml><a', 'malformed XML: bad element name at offset 5');
  });

  it('element names that are members of Object.prototype, or "prototype"', () => {
    for (const name of ['prototype', 'valueOf', '__proto__']) {
      refusal(
        `<xml><${name}>1</${name}></xml>`,
        `the XML uses the reserved element name <${name}>, which WeChat Pay never sends`,
      );
    }
  });

  it('unterminated tags, attributes, comments and CDATA', () => {
    refusal('<xml><a x="1>', 'malformed XML: unterminated <a>');
    refusal('<xml><a x="1">1</a></xml', 'malformed XML: bad closing tag of <xml>');
    refusal('<xml><!-- no end <a>1</a></xml>', 'malformed XML: unterminated comment');
    refusal('<xml><a>1<!-- no end </a></xml>', 'malformed XML: unterminated comment');
    // "<!-->" opens a comment; its own dashes do not close it.
    refusal('<xml><!--><a>1</a></xml>', 'malformed XML: unterminated comment');
    refusal('<xml><a>1<!--></a></xml>', 'malformed XML: unterminated comment');
    refusal('<xml><a><![CDATA[x</a></xml>', 'malformed XML: unterminated CDATA in <a>');
  });

  it('fields and roots that are not closed, or closed by another element', () => {
    refusal('<xml><a>1', 'malformed XML: <a> is not closed');
    refusal('<xml><a>1</a>', 'malformed XML: <xml> is not closed');
    refusal('<xml><ab>1</a></xml>', 'malformed XML: <ab> is closed by another element');
    refusal('<xml><a>1</ab></xml>', 'malformed XML: bad closing tag of <a>');
    refusal('<xml><a>1</a x></xml>', 'malformed XML: bad closing tag of <a>');
    refusal('<xml><a>1</a></xml x>', 'malformed XML: bad closing tag of <xml>');
    refusal('<xml><a>1</a></b></xml>', 'malformed XML: unexpected closing tag at offset 13');
  });

  it('text or CDATA between fields, and anything after the root', () => {
    refusal('<xml>text<a>1</a></xml>', '<xml> contains stray text between elements');
    refusal('<xml><![CDATA[x]]><a>1</a></xml>', '<xml> contains stray text between elements');
    refusal('<xml><a>1</a></xml>x', 'the XML must have the single root <xml>, got content after </xml>');
  });
});
