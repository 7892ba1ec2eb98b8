import { ackReason } from '../../spi/ack.js';
import type { AckOutcome } from '../../spi/provider.js';
import type { CoreRequest, CoreResponse } from '../../spi/types.js';
import type { WechatpayConfig } from './config.js';
import { isXmlNotify } from './notify.js';
import { buildXml } from './v2/xml.js';

/**
 * v3: `204` on success; the failure status with `{"code":"FAIL","message":…}` otherwise (a 200
 * with FAIL would read as success). v2: the exact SUCCESS XML with 200, the FAIL XML otherwise.
 */
export function wechatAck(outcome: AckOutcome, xml: boolean): CoreResponse {
  if (xml) {
    const body = outcome.ok
      ? buildXml({ return_code: 'SUCCESS', return_msg: 'OK' })
      : buildXml({ return_code: 'FAIL', return_msg: ackReason(outcome.message) || 'FAIL' });
    return { status: outcome.ok ? 200 : outcome.status, headers: { 'content-type': 'text/xml; charset=utf-8' }, body };
  }
  if (outcome.ok) return { status: 204, headers: {} };
  return {
    status: outcome.status,
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify({ code: 'FAIL', message: ackReason(outcome.message) }),
  };
}

/** The acknowledgement of a notification, in the version it came in (a v2-only merchant always speaks XML). */
export function notifyAck(config: WechatpayConfig, outcome: AckOutcome, req: CoreRequest): CoreResponse {
  return wechatAck(outcome, !config.v3 || isXmlNotify(req));
}
