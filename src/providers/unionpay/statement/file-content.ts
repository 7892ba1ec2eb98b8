import { Readable, pipeline } from 'node:stream';
import { createInflate } from 'node:zlib';
import { statementInvalid } from '../../../wire/statement/errors.js';

/**
 * The file-transfer answer carries the archive in `fileContent` as base64 of a zlib stream
 * (RFC 1950, with its header) of the zip: UnionPay's SDKs decode it with `Inflater` /
 * `gzuncompress`. It is decoded and inflated a slice at a time, yielding the zip's bytes.
 */

const SLICE = 64 * 1024; // characters, a multiple of 4 so every slice decodes on its own

/** base64 → zlib-inflated bytes (the zip archive), streamed. */
export async function* unionpayFileContent(fileContent: string): AsyncGenerator<Buffer> {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(fileContent)) {
    // A '+' turned into a space is the usual sign of a form body decoded twice.
    const hint = fileContent.includes(' ') ? " (it holds spaces: was a '+' decoded as a space?)" : '';
    throw statementInvalid('unionpay', `fileContent is not base64${hint}`);
  }
  const inflated = pipeline(Readable.from(slices(fileContent)), createInflate(), () => {});
  try {
    for await (const chunk of inflated as AsyncIterable<Buffer>) yield chunk;
  } catch (error) {
    throw statementInvalid('unionpay', `fileContent does not inflate (${(error as Error).message})`, {
      retryable: true,
      cause: error,
    });
  }
}

function* slices(text: string): Generator<Buffer> {
  for (let at = 0; at < text.length; at += SLICE) yield Buffer.from(text.slice(at, at + SLICE), 'base64');
}
