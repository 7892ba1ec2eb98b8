import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/**
 * Where a simulator's identity lives: its keys, certificates, ids and API keys. Without a state
 * dir every start makes a new one; with one, the first start saves it and later starts read it
 * back, so the merchant options printed once keep working.
 */
export interface IdentityStore {
  /** The directory, absolute; undefined when nothing is kept. */
  dir?: string;
  /**
   * The identity saved under `name`, checked by `read` (which throws on a shape it does not know),
   * or else `make()`'s, saved for the next start.
   */
  keep<T>(name: string, make: () => Promise<T>, read: (saved: unknown) => T): Promise<T>;
}

/** Nothing kept: a new identity at every start. */
export const freshIdentities: IdentityStore = { keep: (_name, make) => make() };

/** Bumped when a saved identity's shape changes, so an old file is refused with a clear message. */
const FORMAT = 1;

const NOTE =
  'Keys and ids of the paymount sandbox: they work only against a paymount sandbox started with this state dir.';

/**
 * Opens (and creates) a state dir. Files are written 0600 in a 0700 directory, each one whole or
 * not at all (written aside, then linked into place), so two sandboxes started at once on the same
 * directory agree on one identity. A `.gitignore` of `*` keeps the directory out of the shop's repository.
 */
export async function openStateDir(path: string): Promise<IdentityStore> {
  const dir = resolve(path);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFile(join(dir, '.gitignore'), '# written by the paymount sandbox: nothing here belongs in git\n*\n', {
    flag: 'wx',
    mode: 0o600,
  }).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  });

  async function load<T>(file: string, read: (saved: unknown) => T): Promise<T | undefined> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    try {
      const saved = JSON.parse(text) as { format?: unknown; identity?: unknown };
      if (saved.format !== FORMAT) throw new Error(`format ${String(saved.format)}, this version reads ${FORMAT}`);
      return read(saved.identity);
    } catch (error) {
      throw new Error(
        `${file} is not a paymount sandbox identity this version can read (${(error as Error).message}): ` +
          'delete the file to start with new keys (merchant options printed before stop working)',
        { cause: error },
      );
    }
  }

  return {
    dir,
    async keep(name, make, read) {
      const file = join(dir, `${name}.json`);
      const saved = await load(file, read);
      if (saved !== undefined) return saved;
      const identity = await make();
      const aside = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
      const body = { note: NOTE, format: FORMAT, createdAt: new Date().toISOString(), identity };
      await writeFile(aside, `${JSON.stringify(body, null, 2)}\n`, { flag: 'wx', mode: 0o600 });
      try {
        await link(aside, file);
        return identity;
      } catch (error) {
        // Another sandbox saved first: use its identity, so both hand out the same options.
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const theirs = await load(file, read);
        if (theirs === undefined)
          throw new Error(`${file} vanished while this sandbox was saving its identity`, { cause: error });
        return theirs;
      } finally {
        await unlink(aside);
      }
    },
  };
}

/** Reading saved identities: each helper names the field that is wrong. */
export function savedObject(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${path} is not an object`);
  return value as Record<string, unknown>;
}

/** A string field of a saved identity. */
export function savedString(record: Record<string, unknown>, field: string, path: string): string {
  const value = record[field];
  if (typeof value !== 'string' || value === '') throw new Error(`${path}.${field} is not a non-empty string`);
  return value;
}
