import { RequestError } from '../../errors/index.js';
import type { ProviderEvent } from '../../spi/provider.js';
import type { CoreRequest } from '../../spi/types.js';
import { rawBodyOf } from '../../wire/body.js';
import type { WechatpayConfig } from './config.js';
import { parseV2Notify } from './v2/notify.js';
import { parseV3Notify } from './v3/notify.js';
import type { KeyLookup } from './v3/verify.js';

/** True when the notification is v2 XML (by content type, else by its first byte). */
export function isXmlNotify(req: CoreRequest): boolean {
  const type = req.headers['content-type'] ?? '';
  if (/xml/i.test(type)) return true;
  if (/json/i.test(type)) return false;
  const body = req.rawBody;
  if (!body) return false;
  for (const byte of body) {
    if (byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09) continue;
    return byte === 0x3c; // '<'
  }
  return false;
}

/**
 * A notification in either version, told apart by its body: v2 XML needs the v2 key even at a v3
 * merchant (refunds started in the merchant platform notify in v2 XML), v3 JSON needs v3.
 * `lookup` finds v3 platform keys (and may download certificates: a failure there is a
 * `ProviderError`, which the core answers with 503 so that WeChat retries).
 */
export async function parseWechatNotify(
  config: WechatpayConfig,
  req: CoreRequest,
  lookup: KeyLookup | undefined,
  clock: () => Date,
): Promise<ProviderEvent> {
  const body = rawBodyOf(req);
  if (isXmlNotify(req)) {
    if (!config.v2) {
      throw new RequestError(
        'a v2 XML notification arrived but no v2.apiKey is configured: refunds started in the merchant platform ' +
          'notify in v2 XML even for v3 merchants; add v2: { apiKey }',
        'NOTIFY_VERSION',
      );
    }
    return parseV2Notify(config, config.v2, body, clock);
  }
  if (!config.v3 || !lookup) {
    throw new RequestError(
      'this merchant uses API v2, whose notifications are XML; the body is not XML',
      'NOTIFY_VERSION',
    );
  }
  return parseV3Notify(config, config.v3, { headers: req.headers, body }, lookup, clock);
}
