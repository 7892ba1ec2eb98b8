import { ConfigError, type Payments } from '../src/index.js';

/** The prefix options of the Koa and fetch adapters. */
export interface PrefixOptions {
  /** Where the router is mounted, e.g. `/pay`. Default: the path of `publicUrl`. */
  prefix?: string;
  /**
   * Set to `false` when a reverse proxy rewrites paths, so the prefix the app sees differs from
   * `publicUrl`'s path on purpose. Default: a prefix that contradicts `publicUrl` is refused.
   */
  checkPrefix?: boolean;
}

/**
 * The prefix to mount at: `publicUrl`'s path unless given. A given prefix that differs from it is
 * a mistake that would make every notify miss the router, so it is refused at startup.
 */
export function resolvePrefix(adapter: string, payments: Pick<Payments, 'mountPath'>, options: PrefixOptions): string {
  const prefix = (options.prefix ?? payments.mountPath).replace(/\/+$/, '');
  if (prefix && !prefix.startsWith('/')) {
    throw new ConfigError(`${adapter}.prefix`, `must start with "/", got "${prefix}"`);
  }
  if (options.checkPrefix !== false && prefix !== payments.mountPath) {
    throw new ConfigError(
      `${adapter}.prefix`,
      `"${prefix || '/'}" contradicts publicUrl, whose path is "${payments.mountPath || '/'}": providers post ` +
        'to publicUrl. Mount at that path (or leave prefix out), or pass checkPrefix: false if a proxy rewrites paths',
    );
  }
  return prefix;
}
