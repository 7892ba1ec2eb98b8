import { missingField, type ProviderMismatch } from '../../spi/provider.js';
import type { AppIds } from './config.js';

/**
 * The fields of WeChat Pay's verified messages that paymount checks or reports. v2 signs the
 * sorted `k=v&k=v` string of raw values, so a field folded into its neighbour's value
 * (`<is_subscribe>N&mch_id=…</is_subscribe>`) keeps the sign valid: a field WeChat always sends is
 * required, absent or empty alike (docs/providers/wechatpay.md#notify, docs/after-payment.md).
 */

/** The configured identity a message must name. */
export interface Identity {
  mchId: string;
  /** One app id per channel (H5, APP, the official account's for JSAPI, the mini-program's). */
  appIds: AppIds;
}

/** How a message kind names the merchant and the app: v3 `mchid`/`appid`, v2 `mch_id`/`appid`; refunds name no app. */
export interface IdNames {
  mch: string;
  app?: string;
}

const absent = (value: unknown) => value === undefined || value === null || value === '';
const shown = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));

/** The distinct configured app ids, worked out once per configuration: a notify only reads them. */
const distinctAppIds = new WeakMap<AppIds, readonly string[]>();
function appIdsOf(appIds: AppIds): readonly string[] {
  let ids = distinctAppIds.get(appIds);
  if (!ids) distinctAppIds.set(appIds, (ids = [...new Set(Object.values(appIds))]));
  return ids;
}

/**
 * Checks a verified message's merchant and app ids against the configuration. Both are required
 * (`names.app` only where the message kind carries an app id): a missing one is a mismatch like
 * a different one.
 */
export function idMismatch(
  expected: Identity,
  message: Readonly<Record<string, unknown>>,
  names: IdNames,
): ProviderMismatch | undefined {
  const mchId = message[names.mch];
  if (absent(mchId)) return missingField(names.mch, expected.mchId);
  if (mchId !== expected.mchId)
    return { reason: 'merchant', field: names.mch, expected: expected.mchId, actual: shown(mchId) };
  if (names.app === undefined) return undefined;
  // Any configured channel's app id: a trade placed on one channel names that channel's app.
  const ids = appIdsOf(expected.appIds);
  const appId = message[names.app];
  if (typeof appId === 'string' && ids.includes(appId)) return undefined;
  if (absent(appId)) return missingField(names.app, ids.join(' or '));
  return { reason: 'app', field: names.app, expected: ids.join(' or '), actual: shown(appId) };
}

/** Text fields a message must carry: dotted paths into it, each with what it should hold. */
export type RequiredTexts = readonly { path: string; parts: readonly string[]; expected: string }[];

/** {@link RequiredTexts} from `{ 'dotted.path': 'what it holds' }`, split once where they are declared. */
export function requiredTexts(names: Readonly<Record<string, string>>): RequiredTexts {
  return Object.entries(names).map(([path, expected]) => ({ path, parts: path.split('.'), expected }));
}

/**
 * The first of `fields` that is absent from `message`, as a mismatch. A value that is not a
 * string (`"openid": 0`) is not the field WeChat sends: absent too.
 */
export function missingFrom(
  message: Readonly<Record<string, unknown>>,
  fields: RequiredTexts,
): ProviderMismatch | undefined {
  for (const { path, parts, expected } of fields) {
    let value: unknown = message;
    for (const part of parts) {
      value = value && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined;
    }
    if (typeof value !== 'string' || value === '') return missingField(path, expected);
  }
  return undefined;
}

/**
 * `attach` at checkout: the host's order id, which WeChat echoes in the payment notify and the
 * order query, so that a trade number leads back to its order when the store has forgotten it.
 * At most 128 bytes in v3 and 127 in v2 (docs/providers/wechatpay.md#limits); a longer id is not
 * sent rather than cut, since a cut id would name another order.
 */
export function attachOf(orderId: string, version: 'v2' | 'v3'): string | undefined {
  return Buffer.byteLength(orderId, 'utf8') <= (version === 'v3' ? 128 : 127) ? orderId : undefined;
}

/** The order id echoed in `attach`, or `undefined` when the trade carries none. */
export function echoedOrderId(message: Readonly<Record<string, unknown>>): string | undefined {
  const attach = message.attach;
  return typeof attach === 'string' && attach !== '' ? attach : undefined;
}
