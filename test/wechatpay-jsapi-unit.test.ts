import { execFileSync } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { wechatpay, type WechatpayOptions } from '../src/index.js';
import { resolveWechatpayConfig } from '../src/providers/wechatpay/config.js';
import { checkToken, signToken } from '../src/providers/wechatpay/jsapi/state.js';
import { authorizeUrl } from '../src/providers/wechatpay/jsapi/oauth.js';
import { jsapiParamsV2 } from '../src/providers/wechatpay/v2/jsapi.js';
import { v2Sign, v2SignString } from '../src/providers/wechatpay/v2/sign.js';
import { jsapiMessage, jsapiParamsV3 } from '../src/providers/wechatpay/v3/jsapi.js';
import { rsaSign } from '../src/wire/rsa.js';
import { wechatBrowser } from '../src/wire/user-agent.js';
import { renderPage } from '../src/core/pages/layout.js';
import { expectConfigError } from './helpers/config-error.js';
import { sortedPairs } from './helpers/signing.js';
import { SAFARI_UA, WECHAT_UA } from './helpers/wechat-jsapi.js';

/**
 * The JSAPI page signature against vectors the openssl CLI made (test/fixtures/wechatpay/
 * make-vectors.sh), a v3 paySign checked by `openssl dgst -verify` with the merchant certificate,
 * and the pieces of the sign-in: the state tokens, the authorize URL, the options, the user agent.
 */

const path = (name: string) => new URL(`./fixtures/wechatpay/${name}`, import.meta.url);
const fx = (name: string) => readFileSync(path(name), 'utf8');
const V2_KEY = '192006250b4c09247ec02edce69f6a2d';
const EXAMPLE = {
  appId: 'wxd930ea5d5a258f4f',
  timeStamp: '1414561699',
  nonceStr: '5K8264ILTKCH16CQ2502SI8ZNMTM67VS',
  package: 'prepay_id=wx201410272009395522657a690389285100',
};

const options = (): WechatpayOptions => ({
  mchId: '1230000109',
  appId: { wap: 'wxd930ea5d5a258f4f', jsapi: 'wxd930ea5d5a258f4f' },
  appSecret: '0123456789abcdef0123456789abcdef',
  v3: {
    apiV3Key: 'a'.repeat(16) + 'b'.repeat(16),
    privateKey: fx('merchant_key.pem'),
    certificateSerial: '444F4864EA9B34415D2A5BE1CF0A4C6B8B1B5CAB',
    platformPublicKey: fx('platform_pub.pem'),
    platformPublicKeyId: 'PUB_KEY_ID_0114232134912410000000000000000001',
  },
});

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** `openssl dgst -sha256 -verify` of a base64 signature over `message`, with the merchant certificate's key. */
function opensslVerifies(message: string, signature: string): boolean {
  const dir = mkdtempSync(join(tmpdir(), 'paymount-jsapi-'));
  dirs.push(dir);
  const pub = execFileSync('openssl', ['x509', '-in', path('merchant_cert.pem').pathname, '-pubkey', '-noout']);
  writeFileSync(join(dir, 'pub.pem'), pub);
  writeFileSync(join(dir, 'message.txt'), message);
  writeFileSync(join(dir, 'signature.bin'), Buffer.from(signature, 'base64'));
  try {
    const out = execFileSync(
      'openssl',
      [
        'dgst',
        '-sha256',
        '-verify',
        join(dir, 'pub.pem'),
        '-signature',
        join(dir, 'signature.bin'),
        join(dir, 'message.txt'),
      ],
      // stderr piped: a refused signature is an expected outcome here, not noise in the run.
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    return out.trim() === 'Verified OK';
  } catch {
    return false; // openssl exits 1 on "Verification failure"
  }
}

describe('v3 paySign (openssl vectors)', () => {
  it('builds the four-line message byte for byte', () => {
    const message = jsapiMessage(EXAMPLE.appId, EXAMPLE.timeStamp, EXAMPLE.nonceStr, EXAMPLE.package);
    expect(message).toBe(fx('v3-jsapi-message.txt'));
    expect(createHash('sha256').update(message).digest('hex')).toBe(
      '628b8282c665fc701877c012402919399372b0897009b87586b125f13b265bed',
    );
  });

  it('signs it as openssl dgst -sha256 -sign does (PKCS#1 v1.5 is deterministic)', async () => {
    const config = resolveWechatpayConfig(options());
    expect(await rsaSign(config.v3!.privateKey, fx('v3-jsapi-message.txt'))).toBe(fx('v3-jsapi-signature.txt'));
  });

  it("paymount's parameters verify with openssl dgst -sha256 -verify against the merchant certificate", async () => {
    const config = resolveWechatpayConfig(options());
    const params = await jsapiParamsV3(config.v3!, () => new Date(1_700_000_000_000), EXAMPLE.appId, 'wx2017abc');
    expect(params).toMatchObject({
      appId: EXAMPLE.appId,
      timeStamp: '1700000000',
      package: 'prepay_id=wx2017abc',
      signType: 'RSA',
    });
    expect(params.nonceStr).toMatch(/^[A-Z0-9]{32}$/);
    const message = `${params.appId}\n${params.timeStamp}\n${params.nonceStr}\n${params.package}\n`;
    expect(opensslVerifies(message, params.paySign)).toBe(true);
    // The same check refuses what WeChat would: APP's bare prepay id, a changed nonce.
    expect(
      opensslVerifies(`${params.appId}\n${params.timeStamp}\n${params.nonceStr}\nwx2017abc\n`, params.paySign),
    ).toBe(false);
    expect(opensslVerifies(message.replace(params.nonceStr, 'X'.repeat(32)), params.paySign)).toBe(false);
  });
});

describe('v2 paySign (openssl vectors)', () => {
  it('signs exactly the five keys, sorted, signType included, in MD5 and HMAC-SHA256', () => {
    for (const [type, file] of [
      ['MD5', 'v2-jsapi-md5.txt'],
      ['HMAC-SHA256', 'v2-jsapi-hmac.txt'],
    ] as const) {
      const fields = { ...EXAMPLE, signType: type };
      expect(v2SignString(fields, V2_KEY)).toBe(fx(`v2-jsapi-${type}-temp.txt`));
      expect(v2Sign(fields, V2_KEY, type)).toBe(fx(file).trim());
    }
    // WeChat's own mini-program example.
    const mini = {
      appId: 'wxd678efh567hg6787',
      nonceStr: '5K8264ILTKCH16CQ2502SI8ZNMTM67VS',
      package: 'prepay_id=wx2017033010242291fcfe0db70013231072',
      signType: 'MD5',
      timeStamp: '1490840662',
    };
    expect(v2Sign(mini, 'qazwsxedcrfvtgbyhnujmikolp111111', 'MD5')).toBe(fx('v2-mini-md5.txt').trim());
    // The paySign WeChat publishes for that example (docs/providers/wechatpay.md, mini-programs): openssl agrees.
    expect(fx('v2-mini-md5.txt').trim()).toBe('22D9B4E54AB1950F51E0649E8810ACD6');
  });

  it("paymount's parameters carry the configured algorithm and a sign WeChat's rule recomputes", () => {
    for (const signType of ['MD5', 'HMAC-SHA256'] as const) {
      const params = jsapiParamsV2(
        { apiKey: V2_KEY, signType },
        () => new Date(1_700_000_000_000),
        EXAMPLE.appId,
        'wx9',
      );
      const { paySign, ...signed } = params;
      expect(Object.keys(signed).sort()).toEqual(['appId', 'nonceStr', 'package', 'signType', 'timeStamp']);
      expect(signed.signType).toBe(signType);
      const text = `${sortedPairs(signed, [])}&key=${V2_KEY}`;
      const expected = (signType === 'MD5' ? createHash('md5').update(text) : createHmac('sha256', V2_KEY).update(text))
        .digest('hex')
        .toUpperCase();
      expect(paySign).toBe(expected);
    }
  });
});

describe('the sign-in state', () => {
  const key = Buffer.alloc(32, 7);
  const now = new Date(1_700_000_000_000);
  const at = 1_700_000_300;

  it('is at most 128 letters and digits, and checks for its order and purpose only', () => {
    const state = signToken(key, ['authorize', 'ORDER-1'], at);
    expect(state).toMatch(/^[A-Za-z0-9]{1,128}$/);
    expect(() => checkToken(key, ['authorize', 'ORDER-1'], state, now)).not.toThrow();
    const refusals: [Parameters<typeof checkToken>[1], string | null, Date, RegExp][] = [
      [['authorize', 'ORDER-2'], state, now, /not signed by this shop for order ORDER-2/],
      [['payer', 'ORDER-1', 'oX'], state, now, /not signed/],
      [['authorize', 'ORDER-1'], state, new Date(at * 1000), /expired/],
      [['authorize', 'ORDER-1'], `${at + 3600}${state.slice(10)}`, now, /not signed/],
      [['authorize', 'ORDER-1'], null, now, /missing or malformed/],
      [['authorize', 'ORDER-1'], `${state}0`, now, /missing or malformed/],
    ];
    for (const [fields, token, when, message] of refusals) {
      expect(() => checkToken(key, fields, token, when)).toThrow(message);
    }
    expect(() => checkToken(Buffer.alloc(32, 8), ['authorize', 'ORDER-1'], state, now)).toThrow(/not signed/);
  });

  it("goes into WeChat's authorize URL with the parameters in the documented order", () => {
    const config = resolveWechatpayConfig(options());
    const url = authorizeUrl(config.jsapi!, 'https://shop.example/pay/checkout/wechatpay/callback?orderId=A&B', 'S1');
    expect(url).toBe(
      'https://open.weixin.qq.com/connect/oauth2/authorize?appid=wxd930ea5d5a258f4f' +
        '&redirect_uri=https%3A%2F%2Fshop.example%2Fpay%2Fcheckout%2Fwechatpay%2Fcallback%3ForderId%3DA%26B' +
        '&response_type=code&scope=snsapi_base&state=S1#wechat_redirect',
    );
    expect(config.jsapi!.tokenUrl).toBe('https://api.weixin.qq.com/sns/oauth2/access_token');
  });
});

describe('JSAPI options', () => {
  const fails = (mutate: (o: WechatpayOptions) => void, field: string, message: RegExp) => {
    const o = options();
    mutate(o);
    expectConfigError(() => wechatpay(o), `providers.wechatpay.${field}`, message);
  };

  it('names each mistake', () => {
    fails((o) => void (o.appSecret = 'short'), 'appSecret', /32 letters and digits/);
    fails((o) => void (o.appSecret = 'a'.repeat(16) + 'b'.repeat(16)), 'appSecret', /one of your WeChat Pay API keys/);
    fails((o) => void (o.appId = { wap: 'wxd930ea5d5a258f4f' }), 'appSecret', /appId\.jsapi too/);
    fails((o) => void (o.oauth = { snsBase: 'ftp://x' }), 'oauth.snsBase', /http\(s\)/);
    fails((o) => void (o.oauth = { authorizeBase: 'https://x/?a=1' }), 'oauth.authorizeBase', /query or fragment/);
    fails((o) => void (o.bridgeScript = 'bridge.js'), 'bridgeScript', /absolute/);
  });

  it('derives the state key from the AppSecret: the same on every instance, another for another secret', () => {
    const a = resolveWechatpayConfig(options()).jsapi!;
    const b = resolveWechatpayConfig(options()).jsapi!;
    const c = resolveWechatpayConfig({ ...options(), appSecret: 'f'.repeat(32) }).jsapi!;
    expect(a.stateKey.equals(b.stateKey)).toBe(true);
    expect(a.stateKey.equals(c.stateKey)).toBe(false);
    expect(a.stateKey.includes(Buffer.from(a.appSecret))).toBe(false);
  });
});

describe("WeChat's browser, by user agent", () => {
  it('tells WeChat from WeCom, a mini-program web-view and other browsers', () => {
    expect(wechatBrowser(WECHAT_UA)).toBe('wechat');
    expect(wechatBrowser(`${WECHAT_UA} wxwork/4.1.22`)).toBe('wecom');
    expect(wechatBrowser(`${WECHAT_UA} miniProgram`)).toBe('mini-program');
    expect(wechatBrowser(SAFARI_UA)).toBeUndefined();
    expect(wechatBrowser('')).toBeUndefined();
  });
});

describe('the invoke page', () => {
  it('keeps the data inert: no end tag, no line separator reaches the HTML', () => {
    const html = renderPage({
      kind: 'invoke',
      locale: 'en',
      status: 200,
      orderId: 'A',
      provider: 'wechatpay',
      texts: { title: 't', heading: 'h', message: 'm', order: 'o', reference: 'r', shop: 's', submit: 'Pay' },
      links: { shop: '/' },
      brand: { color: '#1f6feb' },
      reference: 'ref',
      nonce: 'n0nce',
      invoke: {
        script: 'var end = "</script>";',
        data: { x: '</script><script>alert(1)</script>', y: '\u2028' },
        sources: ['https://bridge.example/b.js'],
      },
    });
    expect(html).not.toContain('</script><script>alert');
    const data = /<script type="application\/json" id="invoke-data">([\s\S]*?)<\/script>/.exec(html)![1]!;
    expect(JSON.parse(data)).toEqual({ x: '</script><script>alert(1)</script>', y: '\u2028' });
    expect(data).not.toContain('\u2028');
    expect(html).toContain('<script nonce="n0nce" src="https://bridge.example/b.js"></script>');
    expect(html).toContain('<script nonce="n0nce">var end = "<\\/script>";</script>');
    expect(html).toContain('<button class="button primary" id="invoke" type="button">Pay</button>');
  });
});
