import { createCipheriv, createDecipheriv, createHash, createHmac, sign, timingSafeEqual, verify } from 'node:crypto';
import { XMLParser } from 'fast-xml-parser';
import tenpay from 'tenpay';
import { Aes, Hash, Rsa, Transformer } from 'wechatpay-axios-plugin';
import WxPay from 'wechatpay-node-v3';
import type { Provider } from '../../src/spi/provider.js';
import type { CoreRequest } from '../../src/spi/types.js';
import { wechatpay } from '../../src/providers/wechatpay/index.js';
import { parseFlatXml } from '../flat-xml.js';
import { beijingTime, fenFromDigits, type PaidFacts } from '../bare-facts.js';
import type { RsaPair } from '../keys.js';
import { check, PEER_WEIGHT, providerEnv, type Section } from '../section.js';

const MCH_ID = '1230000109';
const APP_ID = 'wx2421b1c4370ec43b';
const API_V3_KEY = 'Bench3Key0123456789abcdefABCDEF0';
const API_V2_KEY = 'Bench2Key0123456789abcdefABCDEF9';
const PUB_KEY_ID = 'PUB_KEY_ID_0112345678202611250000000000000001';
const MERCHANT_SERIAL = '3775B6A45ACD588826D15E583A95F5DD12345678';
const NOW = new Date('2026-11-25T09:50:13Z');
const ORDER_ID = 'ORDER20261125000001';

type Fields = Record<string, string>;

// ---------- WeChat Pay v3 ----------

/** The decrypted Transaction of a `TRANSACTION.SUCCESS` notification (about 600 bytes of JSON). */
function transaction(): string {
  return JSON.stringify({
    mchid: MCH_ID,
    appid: APP_ID,
    out_trade_no: ORDER_ID,
    transaction_id: '4200001234202611251234567890',
    trade_type: 'MWEB',
    trade_state: 'SUCCESS',
    trade_state_desc: '支付成功',
    bank_type: 'CMB_DEBIT',
    attach: 'campaign=winter&ref=h5',
    success_time: '2026-11-25T17:50:12+08:00',
    payer: { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' },
    amount: { total: 8888, payer_total: 8388, currency: 'CNY', payer_currency: 'CNY' },
    promotion_detail: [
      {
        coupon_id: '109519',
        name: '单品惠-6',
        scope: 'SINGLE',
        type: 'DISCOUNT',
        amount: 500,
        stock_id: '931386',
        currency: 'CNY',
      },
    ],
  });
}

interface V3Input {
  body: Buffer;
  headers: Record<string, string>;
}

function v3Notify(platform: RsaPair): V3Input {
  const nonce = 'fdasflkja484';
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(API_V3_KEY, 'utf8'), Buffer.from(nonce, 'utf8'));
  cipher.setAAD(Buffer.from('transaction', 'utf8'));
  const ciphertext = Buffer.concat([
    cipher.update(transaction(), 'utf8'),
    cipher.final(),
    cipher.getAuthTag(),
  ]).toString('base64');
  const body = Buffer.from(
    JSON.stringify({
      id: 'EV-2018022511223320873',
      create_time: '2026-11-25T17:50:13+08:00',
      resource_type: 'encrypt-resource',
      event_type: 'TRANSACTION.SUCCESS',
      summary: '支付成功',
      resource: {
        original_type: 'transaction',
        algorithm: 'AEAD_AES_256_GCM',
        ciphertext,
        associated_data: 'transaction',
        nonce: 'fdasflkja484',
      },
    }),
    'utf8',
  );
  const timestamp = String(Math.floor(NOW.getTime() / 1000));
  const headerNonce = '5K8264ILTKCH16CQ2502SI8ZNMTM67VS';
  const message = Buffer.concat([Buffer.from(`${timestamp}\n${headerNonce}\n`), body, Buffer.from('\n')]);
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'wechatpay-timestamp': timestamp,
      'wechatpay-nonce': headerNonce,
      'wechatpay-signature': sign('sha256', message, platform.privateKey).toString('base64'),
      'wechatpay-serial': PUB_KEY_ID,
      'wechatpay-signature-type': 'WECHATPAY2-SHA256-RSA2048',
    },
  };
}

interface Resource {
  ciphertext: string;
  nonce: string;
  associated_data: string;
}

/** The fields of a decrypted Transaction a handler reads. */
interface Transaction {
  mchid?: string;
  appid?: string;
  out_trade_no?: string;
  transaction_id?: string;
  trade_state?: string;
  success_time?: string;
  amount?: { total?: unknown; currency?: string };
}

export async function wechatV3Section(keys: { merchant: RsaPair; platform: RsaPair }): Promise<Section> {
  const provider: Provider = wechatpay({
    mchId: MCH_ID,
    appId: APP_ID,
    v3: {
      apiV3Key: API_V3_KEY,
      privateKey: keys.merchant.privatePem,
      certificateSerial: MERCHANT_SERIAL,
      platformPublicKey: keys.platform.publicPem,
      platformPublicKeyId: PUB_KEY_ID,
    },
  }).setup(providerEnv(() => NOW));
  const { body, headers } = v3Notify(keys.platform);
  const req: CoreRequest = {
    method: 'POST',
    path: '/notify/wechatpay',
    query: new URLSearchParams(),
    headers,
    rawBody: body,
  };
  const gcmKey = Buffer.from(API_V3_KEY, 'utf8');
  const ts = headers['wechatpay-timestamp']!;
  const nonce = headers['wechatpay-nonce']!;
  const signature = headers['wechatpay-signature']!;

  // A handler that follows key rotation looks the key up by Wechatpay-Serial.
  const platformKeys = new Map([[PUB_KEY_ID, keys.platform.publicKey]]);
  const bare = (): PaidFacts => {
    if (Math.abs(Math.floor(NOW.getTime() / 1000) - Number(ts)) >= 300) throw new Error('stale');
    const key = platformKeys.get(headers['wechatpay-serial']!);
    if (!key) throw new Error('unknown serial');
    const message = Buffer.concat([Buffer.from(`${ts}\n${nonce}\n`, 'utf8'), body, Buffer.from('\n')]);
    if (!verify('sha256', message, key, Buffer.from(signature, 'base64'))) throw new Error('signature');
    const resource = (JSON.parse(body.toString('utf8')) as { resource: Resource }).resource;
    const data = Buffer.from(resource.ciphertext, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', gcmKey, Buffer.from(resource.nonce, 'utf8'));
    decipher.setAuthTag(data.subarray(data.length - 16));
    decipher.setAAD(Buffer.from(resource.associated_data, 'utf8'));
    const tx = JSON.parse(
      Buffer.concat([decipher.update(data.subarray(0, data.length - 16)), decipher.final()]).toString('utf8'),
    ) as Transaction;
    if (tx.trade_state !== 'SUCCESS') throw new Error('unpaid');
    const amount = tx.amount?.total;
    if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount < 0) throw new Error('amount');
    if (typeof tx.out_trade_no !== 'string' || typeof tx.transaction_id !== 'string') throw new Error('ids');
    return {
      orderId: tx.out_trade_no,
      transactionId: tx.transaction_id,
      amount,
      paidAt: new Date(tx.success_time ?? ''),
      foreign: tx.mchid !== MCH_ID || tx.appid !== APP_ID || tx.amount?.currency !== 'CNY',
    };
  };

  // wechatpay-node-v3 keeps platform keys in a static map of PEM strings, by serial.
  const wx = new WxPay({
    appid: APP_ID,
    mchid: MCH_ID,
    publicKey: Buffer.from(keys.merchant.publicPem),
    privateKey: Buffer.from(keys.merchant.privatePem),
    serial_no: MERCHANT_SERIAL,
    key: API_V3_KEY,
  });
  (WxPay as unknown as { certificates: Record<string, string> }).certificates[PUB_KEY_ID] = keys.platform.publicPem;
  const bodyText = body.toString('utf8');
  const nodeV3 = async (): Promise<unknown> => {
    if (!(await wx.verifySign({ timestamp: ts, nonce, body: bodyText, serial: PUB_KEY_ID, signature })))
      throw new Error('signature');
    const r = (JSON.parse(bodyText) as { resource: Resource }).resource;
    return wx.decipher_gcm(r.ciphertext, r.associated_data, r.nonce, API_V3_KEY);
  };

  const axiosPlugin = (key: string | ReturnType<typeof Rsa.from>) => (): unknown => {
    if (!Rsa.verify(`${ts}\n${nonce}\n${bodyText}\n`, signature, key)) throw new Error('signature');
    const r = (JSON.parse(bodyText) as { resource: Resource }).resource;
    return JSON.parse(Aes.AesGcm.decrypt(r.ciphertext, API_V3_KEY, r.nonce, r.associated_data));
  };
  const pluginPem = axiosPlugin(keys.platform.publicPem);
  const pluginKeyObject = axiosPlugin(Rsa.from(keys.platform.publicPem, 'public'));

  const checks: string[] = [];
  const event = await provider.parseNotify(req, 'payment');
  check(
    checks,
    `paymount parseNotify → ${event.type}`,
    event.type === 'paid' && event.amount === 8888 && event.transactionId === '4200001234202611251234567890',
  );
  const outTradeNo = (x: unknown) => (x as { out_trade_no?: string }).out_trade_no === ORDER_ID;
  check(
    checks,
    'bare verify + GCM + JSON + facts → 8888 fen, this merchant',
    bare().amount === 8888 && !bare().foreign,
  );
  check(checks, 'wechatpay-node-v3 verifySign + decipher_gcm → the transaction', outTradeNo(await nodeV3()));
  check(checks, 'wechatpay-axios-plugin Rsa.verify + AesGcm.decrypt (PEM) → the transaction', outTradeNo(pluginPem()));
  check(checks, 'wechatpay-axios-plugin (KeyObject from Rsa.from) → the transaction', outTradeNo(pluginKeyObject()));

  return {
    title: `WeChat Pay v3 notify (RSA verify + AES-GCM + JSON, ${body.length} B body)`,
    note:
      'bare: timestamp window, the key by Wechatpay-Serial, one crypto.verify with a cached KeyObject over the raw ' +
      'bytes, JSON.parse, AES-256-GCM with final() (tag checked), JSON.parse, then the facts WeChat Pay tells ' +
      'merchants to check (trade_state, amount.total and currency, ids, success_time, mchid and appid).',
    cases: [
      { id: 'wx3.paymount', label: 'paymount `provider.parseNotify`', run: () => provider.parseNotify(req, 'payment') },
      { id: 'wx3.bare', label: 'bare node:crypto', run: bare },
      {
        id: 'wx3.nodev3',
        label: 'wechatpay-node-v3 2.2.1 `verifySign` + `decipher_gcm`',
        run: nodeV3,
        weight: PEER_WEIGHT,
      },
      { id: 'wx3.plugin', label: 'wechatpay-axios-plugin 0.9.6 (PEM string)', run: pluginPem, weight: PEER_WEIGHT },
      { id: 'wx3.pluginKey', label: 'wechatpay-axios-plugin 0.9.6 (KeyObject)', run: pluginKeyObject },
    ],
    comparisons: [
      { subject: 'wx3.paymount', baseline: 'wx3.bare', target: 0.9 },
      { subject: 'wx3.nodev3', baseline: 'wx3.bare' },
      { subject: 'wx3.plugin', baseline: 'wx3.bare' },
      { subject: 'wx3.pluginKey', baseline: 'wx3.bare' },
    ],
    checks,
  };
}

// ---------- WeChat Pay v2 ----------

type SignType = 'MD5' | 'HMAC-SHA256';

/** 23 fields of a paid v2 notify (24 with sign_type for HMAC); strings in CDATA, digits bare. */
function v2Fields(signType: SignType): Fields {
  const fields: Fields = {
    appid: APP_ID,
    attach: '支付测试 & winter',
    bank_type: 'CMB_DEBIT',
    cash_fee: '8388',
    coupon_count: '1',
    coupon_fee: '500',
    coupon_fee_0: '500',
    coupon_id_0: '10000',
    device_info: 'WEB',
    fee_type: 'CNY',
    is_subscribe: 'N',
    mch_id: MCH_ID,
    nonce_str: '5d2b6c2a8db53831f7eda20af46e531c',
    openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o',
    out_trade_no: ORDER_ID,
    result_code: 'SUCCESS',
    return_code: 'SUCCESS',
    return_msg: 'OK',
    time_end: '20261125175012',
    total_fee: '8888',
    trade_type: 'MWEB',
    transaction_id: '4200001234202611251234567890',
  };
  if (signType === 'HMAC-SHA256') fields.sign_type = 'HMAC-SHA256';
  return fields;
}

function v2SignString(fields: Readonly<Fields>): string {
  return `${Object.keys(fields)
    .filter((k) => k !== 'sign' && fields[k] !== '')
    .sort()
    .map((k) => `${k}=${fields[k]}`)
    .join('&')}&key=${API_V2_KEY}`;
}

function v2Sign(fields: Readonly<Fields>, type: SignType): string {
  const text = v2SignString(fields);
  return (
    type === 'MD5' ? createHash('md5').update(text, 'utf8') : createHmac('sha256', API_V2_KEY).update(text, 'utf8')
  )
    .digest('hex')
    .toUpperCase();
}

function v2Xml(fields: Readonly<Fields>): string {
  const inner = Object.entries(fields)
    .map(([k, v]) => (/^\d+$/.test(v) ? `<${k}>${v}</${k}>` : `<${k}><![CDATA[${v}]]></${k}>`))
    .join('');
  return `<?xml version="1.0" encoding="UTF-8"?><xml>${inner}</xml>`;
}

/**
 * fast-xml-parser with safe options: a DTD refused first, values kept as strings, entities decoded,
 * no HTML entities.
 */
const fxp = new XMLParser({
  processEntities: true,
  // HTML entities stay undecoded: fast-xml-parser's default (its `htmlEntities` option is deprecated).
  parseTagValue: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
});
function fxpFields(xml: string): Fields {
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw new Error('DTD');
  const root = (fxp.parse(xml) as { xml: Record<string, unknown> }).xml;
  const out: Fields = Object.create(null) as Fields;
  for (const [k, v] of Object.entries(root)) {
    if (typeof v !== 'string') throw new Error(`field ${k} is not a string`);
    out[k] = v;
  }
  return out;
}

function bareCheck(fields: Readonly<Fields>, type: SignType): boolean {
  const expected = Buffer.from(v2Sign(fields, type), 'utf8');
  const received = Buffer.from((fields.sign ?? '').toUpperCase(), 'utf8');
  return expected.length === received.length && timingSafeEqual(expected, received);
}

export async function wechatV2Section(signType: SignType): Promise<Section> {
  const provider: Provider = wechatpay({ mchId: MCH_ID, appId: APP_ID, v2: { apiKey: API_V2_KEY, signType } }).setup(
    providerEnv(() => NOW),
  );
  const unsigned = v2Fields(signType);
  const xml = v2Xml({ ...unsigned, sign: v2Sign(unsigned, signType) });
  const body = Buffer.from(xml, 'utf8');
  const req: CoreRequest = {
    method: 'POST',
    path: '/notify/wechatpay',
    query: new URLSearchParams(),
    headers: { 'content-type': 'text/xml' },
    rawBody: body,
  };
  const tag = signType === 'MD5' ? 'md5' : 'hmac';

  const bare = (): PaidFacts => {
    const fields = parseFlatXml(body.toString('utf8'));
    if (fields.return_code !== 'SUCCESS') throw new Error('return_code');
    if (fields.sign_type !== undefined && fields.sign_type !== signType) throw new Error('sign_type');
    if (!bareCheck(fields, signType)) throw new Error('sign');
    if (fields.result_code !== 'SUCCESS') throw new Error('unpaid');
    return {
      orderId: fields.out_trade_no!,
      transactionId: fields.transaction_id!,
      amount: fenFromDigits(fields.total_fee),
      paidAt: beijingTime(fields.time_end),
      foreign: fields.mch_id !== MCH_ID || fields.appid !== APP_ID || (fields.fee_type ?? 'CNY') !== 'CNY',
    };
  };
  const bareFxp = (): boolean => bareCheck(fxpFields(body.toString('utf8')), signType);
  const tp = new tenpay({ appid: APP_ID, mchid: MCH_ID, partnerKey: API_V2_KEY });
  const viaTenpay = (): Promise<unknown> => tp._parse(xml, 'middleware_pay');
  const viaPlugin = (): boolean => {
    const data = Transformer.toObject(xml) as Fields;
    const type = data.sign?.length === 64 ? 'HMAC-SHA256' : 'MD5';
    return Hash.equals(Hash.sign(type, data, API_V2_KEY), data.sign);
  };

  const checks: string[] = [];
  const event = await provider.parseNotify(req, 'payment');
  check(
    checks,
    `paymount parseNotify → ${event.type}`,
    event.type === 'paid' && event.amount === 8888 && event.transactionId === '4200001234202611251234567890',
  );
  check(
    checks,
    'bare (hand parser) → sign matches, 8888 fen, this merchant',
    bare().amount === 8888 && !bare().foreign,
  );
  check(checks, 'bare (fast-xml-parser) → sign matches', bareFxp());
  check(
    checks,
    "tenpay _parse(xml, 'middleware_pay') → resolves",
    ((await viaTenpay()) as Fields).transaction_id === '4200001234202611251234567890',
  );
  check(checks, 'wechatpay-axios-plugin Transformer + Hash → sign matches', viaPlugin());
  const forged = Buffer.from(xml.replace('<total_fee>8888</total_fee>', '<total_fee>1</total_fee>'), 'utf8');
  const rejected = await provider.parseNotify({ ...req, rawBody: forged }, 'payment').then(
    () => false,
    () => true,
  );
  check(checks, 'paymount rejects the same notify with total_fee changed', rejected);

  const cases = [
    {
      id: `wx2${tag}.paymount`,
      label: 'paymount `provider.parseNotify`',
      run: () => provider.parseNotify(req, 'payment'),
    },
    { id: `wx2${tag}.bare`, label: 'bare: hand-written flat parser + node:crypto', run: bare },
    {
      id: `wx2${tag}.bareFxp`,
      label: 'bare: fast-xml-parser (safe options) + node:crypto',
      run: bareFxp,
      weight: PEER_WEIGHT,
    },
    {
      id: `wx2${tag}.tenpay`,
      label: "tenpay 2.1.18 `_parse(xml,'middleware_pay')`",
      run: viaTenpay,
      weight: PEER_WEIGHT,
    },
  ];
  if (signType === 'MD5')
    cases.push({
      id: `wx2${tag}.plugin`,
      label: 'wechatpay-axios-plugin `Transformer.toObject` + `Hash`',
      run: viaPlugin,
      weight: PEER_WEIGHT,
    });
  return {
    title: `WeChat Pay v2 notify, ${signType} (XML parse + sign check, ${body.length} B)`,
    note:
      `bare: strict hand-written flat XML parser (bench/flat-xml.ts), return_code and sign_type, sorted string + ` +
      `"&key=", ${signType === 'MD5' ? 'MD5' : 'HMAC-SHA256'} hex, timingSafeEqual, then the facts WeChat Pay tells ` +
      `merchants to check (result_code, total_fee and fee_type, ids, time_end, mch_id and appid). ` +
      'The fast-xml-parser row only checks the sign, with the safe options (DTD refused first, parseTagValue off, ' +
      'every field a string).',
    cases,
    comparisons: [
      { subject: `wx2${tag}.paymount`, baseline: `wx2${tag}.bare`, target: 0.9 },
      { subject: `wx2${tag}.bareFxp`, baseline: `wx2${tag}.bare` },
      { subject: `wx2${tag}.tenpay`, baseline: `wx2${tag}.bare` },
      ...(signType === 'MD5' ? [{ subject: `wx2${tag}.plugin`, baseline: `wx2${tag}.bare` }] : []),
    ],
    checks,
  };
}
