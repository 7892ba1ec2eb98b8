import { createHash } from 'node:crypto';
import { Readable, pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { statementInvalid } from '../../../wire/statement/errors.js';

/**
 * The downloaded body before it is read as CSV: gzip when `tar_type=GZIP` was asked (recognised by
 * its magic bytes, so the caller need not say), and, for v3, a SHA-1 `hash_value` computed over the
 * uncompressed bill (WeChat Pay documentation, "下载账单": the digest of the original file).
 */

/** The first bytes of a body, and the whole body again (those bytes included). */
export async function peek(
  source: AsyncIterable<Uint8Array>,
  size: number,
): Promise<{ head: Buffer; body: AsyncGenerator<Uint8Array> }> {
  const iterator = source[Symbol.asyncIterator]();
  const taken: Uint8Array[] = [];
  let length = 0;
  let done = false;
  while (length < size) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    taken.push(next.value);
    length += next.value.byteLength;
  }
  async function* body(): AsyncGenerator<Uint8Array> {
    yield* taken.splice(0);
    if (done) return;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  }
  return { head: Buffer.concat(taken).subarray(0, size), body: body() };
}

/** True for the gzip magic number 1f 8b. */
export const isGzip = (head: Buffer) => head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;

/** True when the body is an XML answer (v2 errors) rather than a bill. */
export const isXml = (head: Buffer) => /^(\uFEFF)?\s*<(\?xml|xml)/.test(head.toString('utf8'));

/** Inflates a gzip body as it streams; a truncated or damaged stream is a retryable error. */
export async function* gunzip(source: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer> {
  const gz = pipeline(Readable.from(source, { objectMode: false }), createGunzip(), () => {});
  try {
    for await (const chunk of gz as AsyncIterable<Buffer>) yield chunk;
  } catch (error) {
    if (typeof (error as { code?: unknown }).code === 'string' && (error as { code: string }).code.startsWith('Z_'))
      throw statementInvalid('wechatpay', `the gzip bill is damaged or truncated (${(error as Error).message})`, {
        retryable: true,
        cause: error,
      });
    throw error;
  }
}

/** Passes bytes through and, at the end, compares their SHA-1 with `hashValue` (hex, any case). */
export async function* checkDigest(source: AsyncIterable<Uint8Array>, hashValue: string): AsyncGenerator<Uint8Array> {
  const hash = createHash('sha1');
  for await (const chunk of source) {
    hash.update(chunk);
    yield chunk;
  }
  const actual = hash.digest('hex');
  if (actual !== hashValue.trim().toLowerCase())
    throw statementInvalid('wechatpay', `the bill's SHA-1 is ${actual}, the bill request said ${hashValue}`, {
      retryable: true,
    });
}
