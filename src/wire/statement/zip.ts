import { crc32 } from 'node:zlib';
import iconv from 'iconv-lite';
import yauzl from 'yauzl';
import { statementInvalid } from './errors.js';

/**
 * Zip archives through yauzl, which reads entries from the central directory (the authority on a
 * zip's content; local headers and data descriptors are not trusted) and inflates each entry as a
 * stream. Entry data is checked against the central directory's CRC-32, which yauzl leaves to the
 * caller, so a corrupted download cannot pass as a shorter or different file.
 */

/** One entry of a statement archive. */
export interface ZipEntry {
  /** The name, decoded: UTF-8 when the entry says so (flag bit 11), else GBK (Chinese zip tools). */
  name: string;
  /** Size after decompression, from the central directory. */
  size: number;
  readonly entry: yauzl.Entry;
}

/** An opened archive: its entries, and a way to stream one. */
export interface ZipArchive {
  entries: ZipEntry[];
  /** The entry's bytes, inflated as they are read; throws when the data does not match its CRC-32. */
  read(entry: ZipEntry): AsyncGenerator<Buffer>;
}

const UTF8_NAMES = 0x800;

function entryName(entry: yauzl.Entry): string {
  const raw = entry.fileNameRaw;
  return entry.generalPurposeBitFlag & UTF8_NAMES ? raw.toString('utf8') : iconv.decode(raw, 'gb18030');
}

/** Opens a zip held in memory. A truncated or non-zip buffer is a retryable `STATEMENT_INVALID`. */
export async function openZip(buffer: Buffer, provider: string, what: string): Promise<ZipArchive> {
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.fromBufferPromise(buffer, { lazyEntries: true, decodeStrings: false, validateEntrySizes: true });
  } catch (error) {
    throw statementInvalid(provider, `${what} is not a complete zip archive (${(error as Error).message})`, {
      retryable: true,
      cause: error,
    });
  }
  const entries = await listEntries(zip, provider, what);

  async function* read(entry: ZipEntry): AsyncGenerator<Buffer> {
    let crc = 0;
    let size = 0;
    const fail = (error: unknown) =>
      statementInvalid(provider, `${what}: entry "${entry.name}" cannot be read (${(error as Error).message})`, {
        retryable: true,
        cause: error,
      });
    const stream = await zip.openReadStreamPromise(entry.entry).catch((error: unknown) => Promise.reject(fail(error)));
    const chunks = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    try {
      for (;;) {
        const next = await chunks.next().catch((error: unknown) => Promise.reject(fail(error)));
        if (next.done) break;
        crc = crc32(next.value, crc);
        size += next.value.length;
        yield next.value;
      }
    } finally {
      stream.destroy();
    }
    if (crc >>> 0 !== entry.entry.crc32 >>> 0 || size !== entry.size)
      throw statementInvalid(provider, `${what}: entry "${entry.name}" is corrupted (CRC-32 or size mismatch)`, {
        retryable: true,
      });
  }
  return { entries, read };
}

function listEntries(zip: yauzl.ZipFile, provider: string, what: string): Promise<ZipEntry[]> {
  return new Promise((resolve, reject) => {
    const entries: ZipEntry[] = [];
    zip.on('entry', (entry: yauzl.Entry) => {
      // With decodeStrings off, `fileName` holds the raw bytes despite its type: the decoded name tells a directory.
      const name = entryName(entry);
      if (!name.endsWith('/')) entries.push({ name, size: entry.uncompressedSize, entry });
      zip.readEntry();
    });
    zip.on('end', () => resolve(entries));
    zip.on('error', (error: Error) =>
      reject(
        statementInvalid(provider, `${what} has a damaged zip directory (${error.message})`, {
          retryable: true,
          cause: error,
        }),
      ),
    );
    zip.readEntry();
  });
}
