import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { milliFenToFen, parseScaled, yuanToMilliFen, yuanToSignedFen } from '../src/wire/statement/decimal.js';
import { splitByteLines, splitLines } from '../src/wire/statement/lines.js';
import { decodeGbk } from '../src/wire/statement/text.js';
import { chunked } from './helpers/statements.js';

describe('statement amounts', () => {
  it('reads yuan text into integer fen and thousandths of a fen, without floats', () => {
    expect(yuanToSignedFen('12.30')).toBe(1230);
    expect(yuanToSignedFen('¥12.3')).toBe(1230);
    expect(yuanToSignedFen('-10.00')).toBe(-1000);
    expect(yuanToSignedFen('¥-0.01')).toBe(-1);
    expect(yuanToSignedFen('0.29')).toBe(29); // 0.29 * 100 is 28.999999999999996 in floating point
    expect(yuanToSignedFen('1.2300')).toBe(123);
    expect(yuanToMilliFen('0.00600')).toBe(600);
    expect(yuanToMilliFen('-0.06000')).toBe(-6000);
    expect(parseScaled('99999999999.99', 2)).toBe(9_999_999_999_999);
  });

  it('refuses what is not an amount', () => {
    for (const text of ['', '1.234', '--1', '-¥-1', '1,000.00', '1e3', 'abc', '¥', '.5', '12345678901234.00'])
      expect(yuanToSignedFen(text)).toBeUndefined();
  });

  it('rounds thousandths of a fen half away from zero', () => {
    expect([1499, 1500, 2500, -1500, -1499, 0, 600].map(milliFenToFen)).toEqual([1, 2, 3, -2, -1, 0, 1]);
  });
});

describe('statement text', () => {
  it('decodes GBK whose characters straddle chunk boundaries', async () => {
    const text = '#支付宝业务明细查询\r\n豪华洗车,￥12.30\r\n';
    const bytes = iconv.encode(text, 'gbk');
    let out = '';
    for await (const part of decodeGbk(chunked(bytes, 1), 'alipay', 'x')) out += part;
    expect(out).toBe(text);
  });

  it('splits lines on LF and CRLF across chunks, numbering them', async () => {
    async function* parts() {
      yield 'a\r';
      yield '\nb\nc';
      yield 'd\r\n\r\ne';
    }
    const lines = [];
    for await (const batch of splitLines(parts(), 'x', 'x')) lines.push(...batch);
    expect(lines).toEqual([
      { text: 'a', number: 1 },
      { text: 'b', number: 2 },
      { text: 'cd', number: 3 },
      { text: '', number: 4 },
      { text: 'e', number: 5 },
    ]);
  });

  it('splits byte lines without decoding them', async () => {
    const bytes = Buffer.concat([iconv.encode('洗车\r\n', 'gbk'), Buffer.from('x\ny')]);
    const lines = [];
    for await (const batch of splitByteLines(chunked(bytes, 3), 'x', 'x')) lines.push(...batch);
    expect(lines.map((l) => [iconv.decode(l.bytes, 'gbk'), l.number])).toEqual([
      ['洗车', 1],
      ['x', 2],
      ['y', 3],
    ]);
  });

  it('refuses a line longer than any statement line', async () => {
    await expect(async () => {
      async function* long() {
        for (let i = 0; i < 70; i++) yield 'a'.repeat(1000);
      }
      for await (const _ of splitLines(long(), 'wechatpay', 'the bill'));
    }).rejects.toMatchObject({ code: 'STATEMENT_INVALID' });
  });
});
