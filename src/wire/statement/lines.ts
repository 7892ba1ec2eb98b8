import { statementInvalid } from './errors.js';

/** A line of a statement file and its 1-based number, for error messages. */
export interface Line {
  text: string;
  number: number;
}

/** No statement line comes near this; a longer one means the input is not a statement. */
const MAX_LINE = 64 * 1024;

/**
 * Splits decoded text into lines on LF, dropping a CR before it (the providers' files are seen with
 * both line ends). Only the current partial line is held between chunks. Lines come in batches,
 * one per chunk read: a day has 100,000 lines, and one asynchronous step per line would cost more
 * than reading them.
 */
export async function* splitLines(
  source: AsyncIterable<string>,
  provider: string,
  what: string,
): AsyncGenerator<Line[]> {
  let rest = '';
  let number = 0;
  for await (const chunk of source) {
    const text = rest + chunk;
    const batch: Line[] = [];
    let start = 0;
    for (let end = text.indexOf('\n'); end >= 0; end = text.indexOf('\n', start)) {
      const line = text.charCodeAt(end - 1) === 13 && end > start ? text.slice(start, end - 1) : text.slice(start, end);
      batch.push({ text: line, number: ++number });
      start = end + 1;
    }
    rest = text.slice(start);
    if (rest.length > MAX_LINE)
      throw statementInvalid(provider, `${what}: line ${number + 1} is longer than ${MAX_LINE} characters`);
    if (batch.length) yield batch;
  }
  if (rest) yield [{ text: rest.endsWith('\r') ? rest.slice(0, -1) : rest, number: number + 1 }];
}

/** A line of bytes (terminator removed) and its 1-based number. */
export interface ByteLine {
  bytes: Buffer;
  number: number;
}

/**
 * Splits a byte stream into lines on LF, dropping a CR before it, without decoding: fixed-width
 * records are sliced by byte offsets before their fields are decoded. Safe for GBK, whose second
 * bytes are never below 0x40, so a 0x0A byte is always a line end. Lines come in batches, one per
 * chunk read, as with `splitLines`.
 */
export async function* splitByteLines(
  source: AsyncIterable<Uint8Array>,
  provider: string,
  what: string,
  maxLine = MAX_LINE,
): AsyncGenerator<ByteLine[]> {
  let rest: Buffer = Buffer.alloc(0);
  let number = 0;
  for await (const chunk of source) {
    const batch: ByteLine[] = [];
    const data: Buffer = rest.length
      ? Buffer.concat([rest, chunk])
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let start = 0;
    for (let end = data.indexOf(10, start); end >= 0; end = data.indexOf(10, start)) {
      const stop = end > start && data[end - 1] === 13 ? end - 1 : end;
      batch.push({ bytes: data.subarray(start, stop), number: ++number });
      start = end + 1;
    }
    // Copied, so the chunk it came from is not kept alive by a short remainder.
    rest = Buffer.from(data.subarray(start));
    if (rest.length > maxLine)
      throw statementInvalid(provider, `${what}: line ${number + 1} is longer than ${maxLine} bytes`);
    if (batch.length) yield batch;
  }
  if (rest.length) yield [{ bytes: rest[rest.length - 1] === 13 ? rest.subarray(0, -1) : rest, number: number + 1 }];
}
