import { alipayNotifySection, alipaySignSections } from './cases/alipay.js';
import { unionpaySections } from './cases/unionpay.js';
import { wechatV2Section, wechatV3Section } from './cases/wechatpay.js';
import type { RsaPair } from './keys.js';
import type { Section } from './section.js';

export interface BenchKeys {
  app: RsaPair;
  alipay: RsaPair;
  merchant: RsaPair;
  platform: RsaPair;
}

/** Every in-process section, in report order (each checks its inputs before returning). */
export async function allSections(keys: BenchKeys): Promise<Section[]> {
  const alipay = { app: keys.app, alipay: keys.alipay };
  const up = await unionpaySections();
  return [
    await alipayNotifySection(alipay),
    ...(await alipaySignSections(alipay)),
    await wechatV3Section({ merchant: keys.merchant, platform: keys.platform }),
    await wechatV2Section('MD5'),
    await wechatV2Section('HMAC-SHA256'),
    up.notify,
    up.sign,
  ];
}
