import { isIP } from 'node:net';

/** Where the sandbox listens and the URL it hands out, checked. */
export interface SandboxAddress {
  host: string;
  port: number;
  httpsPort: number;
  /** The origin given as `publicUrl`, without a trailing slash; undefined: derived from host and port. */
  publicUrl?: string;
}

/** A wrong value as the message shows it (`JSON.stringify` is undefined for functions and symbols). */
function shown(value: unknown): string {
  return typeof value === 'function' || typeof value === 'symbol' ? typeof value : JSON.stringify(value);
}

function checkPort(value: unknown, name: string): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 65535)
    throw new TypeError(
      `startSandbox: ${name} must be an integer from 0 (any free port) to 65535, not ${shown(value)}`,
    );
  return value;
}

/**
 * Checks `host`, `port`, `httpsPort` and `publicUrl`. The public URL is an origin: the simulators
 * serve below `/<provider>` of it, and WeChat Pay's v3 signatures cover the request path, so a
 * path prefix that a proxy strips would break them; a URL with a path is refused rather than half used.
 */
export function checkAddress(options: {
  host?: unknown;
  port?: unknown;
  httpsPort?: unknown;
  publicUrl?: unknown;
}): SandboxAddress {
  const host = options.host ?? '127.0.0.1';
  if (typeof host !== 'string' || host.trim() === '')
    throw new TypeError('startSandbox: host must be an address to listen on, e.g. 127.0.0.1 or 0.0.0.0');
  const port = checkPort(options.port, 'port');
  // A fixed port fixes the HTTPS one too (the next port), so a restart keeps WeChat Pay's v2 gateway.
  const httpsPort =
    options.httpsPort === undefined && port !== 0 && port < 65535
      ? port + 1
      : checkPort(options.httpsPort, 'httpsPort');
  if (options.publicUrl === undefined) return { host, port, httpsPort };
  const given = options.publicUrl;
  let url: URL | undefined;
  try {
    url = typeof given === 'string' ? new URL(given) : undefined;
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:'))
    throw new TypeError(
      `startSandbox: publicUrl must be an http(s) URL such as http://192.168.1.20:4000, not ${JSON.stringify(given)}`,
    );
  if (url.pathname !== '/' || url.search || url.hash || url.username || url.password)
    throw new TypeError(
      `startSandbox: publicUrl must be an origin (scheme, host, port) without path, query or credentials: ` +
        `use ${url.origin}, not ${JSON.stringify(given)}`,
    );
  return { host, port, httpsPort, publicUrl: url.origin };
}

/** A wildcard address (all interfaces) is no address to hand out: the machine's own loopback is. */
function reachableHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::' || host === '::0') return '::1';
  return host;
}

/** The base URL every simulator hands out: the public URL, else `http://<host>:<port>`. */
export function baseUrlOf(address: SandboxAddress, port: number): string {
  if (address.publicUrl) return address.publicUrl;
  const host = reachableHost(address.host);
  return `http://${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
}
