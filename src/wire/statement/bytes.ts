import { statementInvalid } from './errors.js';

/** Default ceiling for a compressed archive held while it is read (see `collectBytes`). */
export const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;

/**
 * Reads a whole download into one Buffer, refusing more than `maxBytes`. Used only for zip
 * archives, which can be read correctly only from their central directory at the end of the file;
 * their entries are then inflated as streams, so the decompressed text is never held whole.
 */
export async function collectBytes(
  source: AsyncIterable<Uint8Array>,
  provider: string,
  maxBytes = DEFAULT_MAX_BYTES,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of source) {
    size += chunk.byteLength;
    if (size > maxBytes)
      throw statementInvalid(provider, `the statement archive is larger than ${maxBytes} bytes; refusing to read it`);
    chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  }
  return Buffer.concat(chunks, size);
}

/**
 * Cuts a byte source into chunks of at most `size` bytes, so that one large chunk (a whole file
 * handed over as a single Buffer) is still decompressed and parsed a piece at a time.
 */
export async function* rechunk(source: AsyncIterable<Uint8Array>, size = 64 * 1024): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    for (let at = 0; at < chunk.byteLength; at += size) yield chunk.subarray(at, Math.min(at + size, chunk.byteLength));
  }
}

/** A single Buffer or string as a byte source, for callers that already hold the whole body. */
export async function* bytesOf(body: Uint8Array | string): AsyncGenerator<Uint8Array> {
  yield typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
}
