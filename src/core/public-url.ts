import { isIP } from 'node:net';

/**
 * Where `publicUrl` points, as the providers' servers see it. Notifies come from the providers'
 * servers on the internet (docs/architecture.md#a-notifys-life), so a loopback, private or
 * single-label host is only reachable from the machine or network it names: fine for the sandbox,
 * fatal with a production gateway.
 */

/** IPv4 ranges no provider can reach: first two octets of the network, prefix length, what it is. */
const IPV4_PRIVATE: readonly (readonly [a: number, b: number, bits: number, what: string])[] = [
  [127, 0, 8, 'a loopback address'],
  [0, 0, 8, 'an unspecified address'],
  [10, 0, 8, 'a private address'],
  [172, 16, 12, 'a private address'],
  [192, 168, 16, 'a private address'],
  [169, 254, 16, 'a link-local address'],
  [100, 64, 10, 'a shared (carrier-grade NAT) address'],
];

function ipv4Kind(address: string): string | undefined {
  const [a = 0, b = 0, c = 0, d = 0] = address.split('.').map(Number);
  const value = ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
  for (const [na, nb, bits, what] of IPV4_PRIVATE) {
    const mask = (0xffffffff << (32 - bits)) >>> 0;
    if ((value & mask) === ((((na << 24) | (nb << 16)) >>> 0) & mask)) return what;
  }
  return undefined;
}

function ipv6Kind(address: string): string | undefined {
  const a = address.toLowerCase();
  if (a === '::1') return 'a loopback address';
  if (a === '::') return 'an unspecified address';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a)?.[1];
  if (mapped !== undefined) return ipv4Kind(mapped);
  if (/^f[cd][0-9a-f]{0,2}:/.test(a)) return 'a private (unique local) address';
  if (/^fe[89ab][0-9a-f]?:/.test(a)) return 'a link-local address';
  return undefined;
}

/**
 * What makes `url`'s host unreachable from the internet (`"a loopback address"`, `"localhost"`…),
 * or `undefined` for a public host name or address.
 */
export function localHostKind(url: URL): string | undefined {
  const host = url.hostname
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
    .toLowerCase();
  const ip = isIP(host);
  if (ip === 4) return ipv4Kind(host);
  if (ip === 6) return ipv6Kind(host);
  if (host === 'localhost' || host.endsWith('.localhost')) return 'localhost';
  // RFC 6762 (.local) and the names home routers and clouds hand out for their own networks.
  if (/\.(local|internal|lan|home\.arpa)$/.test(host)) return 'a local network name';
  if (!host.includes('.')) return 'a single-label host name';
  return undefined;
}

/**
 * Why a production gateway cannot notify `url`, or `undefined` when it can: the providers'
 * servers post notifies over the internet, to HTTPS URLs only for WeChat Pay and for all three as
 * docs/go-live.md#the-notify-url advises.
 */
export function unreachableByProviders(url: URL): string | undefined {
  const local = localHostKind(url);
  if (local) return `its host ${url.hostname} is ${local}, which the provider's servers cannot reach`;
  if (url.protocol !== 'https:')
    return 'it is plain http://: notifies and buyer returns carry payment data, and WeChat Pay refuses a notify URL that is not https';
  return undefined;
}
