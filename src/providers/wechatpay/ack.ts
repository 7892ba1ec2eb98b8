import type { AckOutcome } from '../../spi/provider.js';
import type { CoreRequest, CoreResponse } from '../../spi/types.js';
import { buildXml } from './v2/xml.js';

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

/** Keeps the reason a single line of plain text (it ends up in WeChat's logs). */
const reason = (message: string) => message.replace(/[\r\n]+/g, ' ').slice(0, 256);

/**
 * v3: `204` on success; the failure status with `{"code":"FAIL","message":…}` otherwise (a 200
 * with FAIL would read as success). v2: the exact SUCCESS XML with 200, the FAIL XML otherwise.
 */
export function wechatAck(outcome: AckOutcome, xml: boolean): CoreResponse {
  if (xml) {
    const body = outcome.ok
      ? buildXml({ return_code: 'SUCCESS', return_msg: 'OK' })
      : buildXml({ return_code: 'FAIL', return_msg: reason(outcome.message) || 'FAIL' });
    return { status: outcome.ok ? 200 : outcome.status, headers: { 'content-type': 'text/xml; charset=utf-8' }, body };
  }
  if (outcome.ok) return { status: 204, headers: {} };
  return {
    status: outcome.status,
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify({ code: 'FAIL', message: reason(outcome.message) }),
  };
}
