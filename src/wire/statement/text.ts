import iconv from 'iconv-lite';
import { statementInvalid } from './errors.js';

/**
 * Byte → text decoding for statements, streamed. Alipay and UnionPay write GBK: it is decoded as
 * GB18030, its superset, so that no valid file is refused; WeChat Pay writes UTF-8. Bytes that are
 * not valid in the encoding make the file invalid rather than turning silently into U+FFFD.
 */

/** Decodes a GBK byte stream; a byte sequence GBK does not define is a `STATEMENT_INVALID` error. */
export async function* decodeGbk(
  source: AsyncIterable<Uint8Array>,
  provider: string,
  what: string,
): AsyncGenerator<string> {
  const decoder = iconv.getDecoder('gb18030');
  let lines = 0;
  const check = (text: string) => {
    // iconv-lite writes U+FFFD for undefined sequences; GBK itself cannot encode that character.
    const bad = text.indexOf('\uFFFD');
    if (bad >= 0) {
      const line = lines + text.slice(0, bad).split('\n').length;
      throw statementInvalid(provider, `${what} is not valid GBK text (undecodable bytes on line ${line})`);
    }
    for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) lines += 1;
  };
  for await (const chunk of source) {
    const text = decoder.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    check(text);
    if (text) yield text;
  }
  const tail = decoder.end() ?? '';
  check(tail);
  if (tail) yield tail;
}

/** Decodes one GBK field (already sliced by byte offsets); `undefined` when it is not valid GBK. */
export function decodeGbkField(bytes: Uint8Array): string | undefined {
  const text = iconv.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), 'gb18030');
  return text.includes('\uFFFD') ? undefined : text;
}

/** Decodes a UTF-8 byte stream, dropping a leading byte-order mark; malformed UTF-8 is an error. */
export async function* decodeUtf8(
  source: AsyncIterable<Uint8Array>,
  provider: string,
  what: string,
): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  try {
    for await (const chunk of source) {
      const text = decoder.decode(chunk, { stream: true });
      if (text) yield text;
    }
    const tail = decoder.decode();
    if (tail) yield tail;
  } catch (error) {
    if (error instanceof TypeError)
      throw statementInvalid(provider, `${what} is not valid UTF-8 text`, { cause: error });
    throw error;
  }
}
