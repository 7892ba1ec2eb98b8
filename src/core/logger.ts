import type { Logger } from '../spi/types.js';

type Write = (...args: unknown[]) => void;

/** A logger as hosts have them: console-style `(message, detail)` or pino-style `(detail, message)`. */
export interface HostLogger {
  info?(message: string, ...rest: unknown[]): void;
  warn(message: string, ...rest: unknown[]): void;
  error(message: string, ...rest: unknown[]): void;
}

const silent: Logger = { info() {}, warn() {}, error() {} };

/** pino, bunyan and the like take the object first and carry `child()` and a `level`. */
function objectFirst(logger: object): boolean {
  return typeof (logger as { child?: unknown }).child === 'function' && 'level' in logger;
}

/**
 * The logger paymount writes to: `false` silences it; no logger means the console, prefixed
 * `[paymount]`; a pino-style logger gets `(detail, message)`, anything else `(message, detail)`.
 */
export function toLogger(option: HostLogger | false | undefined): Logger {
  if (option === false) return silent;
  const host: HostLogger = option ?? console;
  const prefix = option === undefined ? '[paymount] ' : '';
  const first = objectFirst(host);
  const bind = (method: HostLogger['info']): Logger['info'] => {
    const write = method as Write | undefined;
    if (!write) return () => {};
    return first
      ? (message, detail) => write.call(host, { ...detail }, message)
      : (message, detail) =>
          detail === undefined ? write.call(host, prefix + message) : write.call(host, prefix + message, detail);
  };
  // Each method is called with the host as `this` (`write.call(host, …)`), as pino's methods need.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  return { info: bind(host.info), warn: bind(host.warn), error: bind(host.error) };
}

/**
 * A request's view of the logger: every line carries the request's id. A class rather than three
 * closures, since one is made for every request.
 */
export class RequestLogger implements Logger {
  constructor(
    private readonly base: Logger,
    private readonly requestId: string,
  ) {}
  info(message: string, detail?: Record<string, unknown>): void {
    this.base.info(message, { ...detail, requestId: this.requestId });
  }
  warn(message: string, detail?: Record<string, unknown>): void {
    this.base.warn(message, { ...detail, requestId: this.requestId });
  }
  error(message: string, detail?: Record<string, unknown>): void {
    this.base.error(message, { ...detail, requestId: this.requestId });
  }
}
