import { ConfigError } from '../errors/index.js';

/** The options every provider takes for reaching its gateway. */
export interface TransportOptions {
  /** A named environment (`production`, …) or a gateway URL (the sandbox's, a test environment). */
  gateway?: string;
  /** Connect and response timeout of API calls in ms. Default 10 s. */
  timeoutMs?: number;
  /** Extra CA certificates (PEM) to trust for the gateway: test environments and the sandbox. */
  ca?: string;
}

/** {@link TransportOptions} checked once. */
export interface Transport {
  /** The gateway URL, as `new URL()` normalised it. */
  gateway: string;
  /** The name of a known environment the gateway is, or `undefined` for a URL of the host's. */
  environment: string | undefined;
  timeoutMs: number;
  ca: string | undefined;
}

/**
 * Resolves a provider's transport options: `gateway` is one of `environments` (its name) or an
 * http(s) URL; `timeoutMs` positive; `ca` PEM text. Each mistake is one {@link ConfigError}.
 */
export function resolveTransport(
  options: TransportOptions,
  environments: Readonly<Record<string, string>>,
  fallback: string,
): Transport {
  const name = options.gateway ?? fallback;
  const known = Object.prototype.hasOwnProperty.call(environments, name) ? environments[name] : undefined;
  let gateway = known ?? name;
  try {
    const url = new URL(gateway);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('not http(s)');
    gateway = url.href;
  } catch {
    const names = Object.keys(environments)
      .map((n) => `"${n}"`)
      .join(', ');
    throw new ConfigError('gateway', `must be ${names} or a gateway URL, got ${JSON.stringify(options.gateway)}`);
  }
  const environment = known ? name : Object.keys(environments).find((n) => environments[n] === gateway);
  const timeoutMs = options.timeoutMs ?? 10_000;
  if (typeof timeoutMs !== 'number' || !(timeoutMs > 0) || !Number.isFinite(timeoutMs)) {
    throw new ConfigError('timeoutMs', 'must be a positive number of milliseconds');
  }
  const { ca } = options;
  if (ca !== undefined && (typeof ca !== 'string' || !ca.includes('-----BEGIN CERTIFICATE-----'))) {
    throw new ConfigError('ca', 'must be PEM text of one or more certificates (-----BEGIN CERTIFICATE-----)');
  }
  return { gateway, environment, timeoutMs, ca };
}
