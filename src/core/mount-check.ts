import type { CoreRequest } from '../spi/types.js';
import type { CoreContext } from './context.js';

/**
 * Says once, as an error, when the router is mounted somewhere other than `publicUrl` says, or
 * is reached under another host: the providers call `publicUrl`, so every notify would miss the
 * router (the host's 404) and buyers would return to the wrong place, with nothing logged.
 */
export function mountChecker(core: CoreContext): (req: CoreRequest) => void {
  let checked = false;
  return (req) => {
    if (checked) return;
    checked = true;
    const expected = core.config.publicPath;
    const mounted = (req.mountPath ?? expected).replace(/\/+$/, '');
    if (mounted !== expected) {
      core.logger.error(
        `paymount is mounted at "${mounted || '/'}" but publicUrl (${core.config.publicUrl}) says ` +
          `"${expected || '/'}": providers will post notifies to publicUrl and miss the router. ` +
          'Mount it at the path of publicUrl, or correct publicUrl.',
        { mounted, publicUrl: core.config.publicUrl },
      );
    }
    const [firstHost = ''] = (req.headers['x-forwarded-host'] ?? req.headers.host ?? '').split(',');
    const host = firstHost.trim().toLowerCase();
    const publicHost = new URL(core.config.publicUrl).host.toLowerCase();
    if (host && host !== publicHost) {
      core.logger.warn(
        `the first request came for host "${host}" but publicUrl is on "${publicHost}": ` +
          'check the host and port of publicUrl (behind a proxy, forward the Host header)',
        { host, publicUrl: core.config.publicUrl },
      );
    }
  };
}
