import { startKeyPairs } from '../keys.js';
import { freshIdentities } from '../state-dir.js';
import type { SandboxRequest, SandboxResponse, Simulator, SimulatorContext } from '../types.js';
import { WechatAccounts } from './accounts.js';
import { appPay } from './app-sdk.js';
import { damageBills } from './bills.js';
import { bridgeScript } from './bridge.js';
import { showCashier, submitCashier } from './cashier.js';
import { confirm, invoke, payDirectly, preflight } from './jsapi.js';
import { newWechatpayIdentity, readWechatpayIdentity, wechatpayPki, type MerchantRole } from './identity.js';
import { notifyRefund } from './notify.js';
import { accessToken, authorize } from './oauth.js';
import { Platform } from './platform.js';
import { issueServerCert, START_KEY_COUNT, startKeysOf } from './pki.js';
import { text, type SimState, type WxRequest } from './state.js';
import { startTlsListener } from './tls.js';
import { TradeBook, type Merchant, type Trade, type TradeState } from './trades.js';
import { handleV2, isV2Path } from './v2.js';
import { handleV3 } from './v3-api.js';

/**
 * Options for `wechatpay(...)` that point it at this simulator: structurally the client's
 * `WechatpayOptions` (declared here so the sandbox does not depend on the client). Keys are PEM text.
 */
export interface WechatpaySandboxOptions {
  mchId: string;
  appId: string | { wap?: string; app?: string; jsapi?: string; mini?: string };
  /** The official account's AppSecret (`appId.jsapi`): the OAuth code exchange. */
  appSecret?: string;
  /** The simulator's OAuth pages and sns API. */
  oauth?: { authorizeBase?: string; snsBase?: string };
  /** The simulator's `WeixinJSBridge` stand-in, for the JSAPI page. */
  bridgeScript?: string;
  v3?: {
    /** 32 characters; decrypts notify resources and `/v3/certificates`. */
    apiV3Key: string;
    /** The merchant API private key (apiclient_key.pem), PKCS#8 PEM. */
    privateKey: string;
    /** Serial (upper-case hex) of the MERCHANT certificate, for the Authorization header. */
    certificateSerial: string;
    /** WeChat Pay public key (SPKI PEM), public-key mode. */
    platformPublicKey?: string;
    /** Its id, `PUB_KEY_ID_…`. */
    platformPublicKeyId?: string;
    /** Certificate mode: download from `/v3/certificates`. */
    platformCertificates?: 'download' | string[];
  };
  v2?: {
    /** The 32-character API v2 key. */
    apiKey: string;
    signType?: 'MD5' | 'HMAC-SHA256';
    /** apiclient_cert.p12 (passphrase = mchid), for `/secapi/pay/refund`. */
    clientCertificate?: { pfx: Buffer; passphrase: string };
  };
  h5?: { appName: string; appUrl?: string; bundleId?: string; packageName?: string };
  /** Base URL the endpoints are appended to. */
  gateway?: 'production' | (string & {});
  /** The sandbox CA (PEM) to trust for an HTTPS gateway. */
  ca?: string;
}

/** A read-only view of one simulated order, for assertions. */
export interface WechatpaySandboxTrade {
  mchId: string;
  outTradeNo: string;
  state: TradeState;
  total: number;
  transactionId?: string;
  refunds: { outRefundNo: string; amount: number; status: 'PROCESSING' | 'SUCCESS' }[];
}

/** The WeChat Pay simulator (`sandbox.simulators.wechatpay`). `options` = v3, public-key mode. */
export interface WechatpaySimulator extends Simulator<WechatpaySandboxOptions> {
  /** v3, platform-certificate mode (`platformCertificates: 'download'`). */
  v3CertificateOptions: WechatpaySandboxOptions;
  /** v2 only (MD5), with the client certificate and the HTTPS gateway. */
  v2Options: WechatpaySandboxOptions;
  /** v2 only, HMAC-SHA256, with the client certificate and the HTTPS gateway. */
  v2HmacOptions: WechatpaySandboxOptions;
  /** Origin of the HTTPS listener (mutual TLS for `/secapi/*`). */
  httpsOrigin: string;
  /** Issues a new platform certificate (new serial) and signs from now on with it. */
  rotatePlatformCertificate(): void;
  /** Test control: the next call(s) to `path` (e.g. `/v3/pay/transactions/h5`, or `prefix*`) answer with this error. */
  inject(path: string, fault: { status: number; code: string; message: string }, times?: number): void;
  /**
   * Test control: the next `times` v3 notifies are first sent with a `WECHATPAY/SIGNTEST/` probe signature,
   * then retried correctly signed.
   */
  injectSignatureProbe(times?: number): void;
  /**
   * Test control: a refund started in the merchant platform (not through the API). It notifies in
   * v2 XML with `req_info` even for a v3 merchant (as WeChat Pay does for refunds made in the merchant
   * platform), to `notifyUrl`.
   */
  platformRefund(input: {
    mchId: string;
    outTradeNo: string;
    outRefundNo: string;
    amount: number;
    notifyUrl: string;
  }): void;
  /** Test control: the next `times` v3 bills announce a `hash_value` that does not match the file served. */
  damageBills(times?: number): void;
  /** The API v2 key of any sandbox merchant (a v3 merchant needs it to read a {@link platformRefund} notify). */
  v2ApiKey(mchId: string): string;
  /** The order `outTradeNo` of merchant `mchId`, if any. */
  trade(mchId: string, outTradeNo: string): WechatpaySandboxTrade | undefined;
  /**
   * The openid of simulated WeChat user `user` under `appId` (an official account, a
   * mini-program): what web OAuth or a mini-program's login would give the shop for that user.
   * The same user has another openid under every app.
   */
  openid(appId: string, user: string): string;
  /** The AppSecret of any of the sandbox's apps (official accounts, mini-programs, mobile apps). */
  appSecret(appId: string): string;
  /**
   * Test control: the official accounts' OAuth domains (网页授权域名); a `redirect_uri` on another
   * host gets WeChat's 10003 page. Default `undefined`: any host (the sandbox runs on any port,
   * which real WeChat refuses in a `redirect_uri`).
   */
  oauthDomains: string[] | undefined;
  close(): Promise<void>;
}

/** Tuning beyond the sandbox context. */
export interface WechatpaySimulatorSettings {
  /** Port of the HTTPS listener (API v2 over mutual TLS). Default 0: any free port. */
  httpsPort?: number;
}

function view(trade: Trade): WechatpaySandboxTrade {
  return {
    mchId: trade.merchant.mchId,
    outTradeNo: trade.outTradeNo,
    state: trade.state,
    total: trade.total,
    transactionId: trade.transactionId,
    refunds: trade.refunds.map((r) => ({ outRefundNo: r.outRefundNo, amount: r.amount, status: r.status })),
  };
}

/**
 * Starts the WeChat Pay simulator: four merchants (v3 public key, v3 certificates, v2 MD5, v2
 * HMAC-SHA256) with generated keys and certificates, each with an H5 app, a mobile app, an
 * official account and a mini-program; the v2/v3 gateway on the sandbox's HTTP server and on an
 * HTTPS listener (mutual TLS for `/secapi/*`), the H5 cashier, the APP SDK stand-in, WeChat's web
 * OAuth (authorize page, code exchange), the `WeixinJSBridge` stand-in and its cashier, and
 * notifies with WeChat's retry schedule.
 */
export async function createWechatpaySimulator(
  ctx: SimulatorContext,
  settings: WechatpaySimulatorSettings = {},
): Promise<WechatpaySimulator> {
  const now = ctx.clock();
  const accounts = new WechatAccounts(ctx.clock);
  const identity = await (ctx.identities ?? freshIdentities).keep(
    'wechatpay',
    () => newWechatpayIdentity(now),
    readWechatpayIdentity,
  );
  const pki = wechatpayPki(identity);
  const { ca, publicKey: keys, merchants } = pki;
  const { v3PublicKey, v3Certificates, v2Md5, v2Hmac } = merchants;
  const publicHost = new URL(ctx.baseUrl).hostname.replace(/^\[(.*)\]$/, '$1');
  const serverCert = issueServerCert(ca, ca.keys, now, [publicHost]);
  // Without a state dir the start keys hold the first rotation's key; with one, the platform makes it.
  const nextPlatformKey = ctx.identities?.dir
    ? undefined
    : startKeysOf(await startKeyPairs('wechatpay', START_KEY_COUNT)).nextPlatform;
  const platform = new Platform(ca, keys, pki.publicKeyId, pki.platform, ctx.clock, nextPlatformKey);
  const kinds = { wap: 'official', app: 'mobile', jsapi: 'official', mini: 'mini' } as const;
  for (const role of Object.keys(merchants) as MerchantRole[]) {
    const saved = identity.merchants[role];
    for (const channel of ['wap', 'app', 'jsapi', 'mini'] as const)
      accounts.register(saved.appIds[channel], kinds[channel], saved.appSecrets[channel]);
  }

  const state: SimState = {
    ctx,
    merchants: new Map([v3PublicKey, v3Certificates, v2Md5, v2Hmac].map((m) => [m.mchId, m])),
    trades: new TradeBook(ctx.clock),
    platform,
    faults: new Map(),
    timers: new Set(),
    nonces: new Map(),
    probes: { remaining: 0 },
    accounts,
    jsapiTickets: new Map(),
  };

  async function dispatch(req: WxRequest): Promise<SandboxResponse> {
    if (req.path.startsWith('/v3/')) return handleV3(req, state);
    if (isV2Path(req.path)) return handleV2(req, state);
    if (req.path === '/cashier') {
      if (req.method === 'GET') return showCashier(req, state);
      if (req.method === 'POST') return submitCashier(req, state);
      return { status: 405 };
    }
    if (req.path === '/app/pay') return req.method === 'POST' ? appPay(req, state) : { status: 405 };
    if (req.path === '/connect/oauth2/authorize') return req.method === 'GET' ? authorize(req, state) : { status: 405 };
    if (req.path === '/sns/oauth2/access_token')
      return req.method === 'GET' ? accessToken(req, state) : { status: 405 };
    if (req.path === '/jsapi/bridge.js') return bridgeScript();
    const jsapi = { '/jsapi/invoke': invoke, '/jsapi/confirm': confirm, '/jsapi/pay': payDirectly }[req.path];
    if (jsapi)
      return req.method === 'POST' ? jsapi(req, state) : req.method === 'OPTIONS' ? preflight(req) : { status: 405 };
    return text(404, `no WeChat Pay endpoint at ${req.path}`);
  }

  const tls = await startTlsListener({
    key: ca.keys.privatePem,
    cert: serverCert.pem,
    ca: ca.pem,
    handle: dispatch,
    host: ctx.host ?? '127.0.0.1',
    port: settings.httpsPort ?? 0,
    publicHost,
  });

  const secretOf = (id: string): string => {
    const app = accounts.apps.get(id);
    if (!app) throw new Error(`no sandbox app ${id}`);
    return app.secret;
  };
  // What JSAPI needs, the same for every merchant: its official account and the simulator's OAuth and bridge.
  const jsapiOptions = (m: Merchant) => ({
    appSecret: secretOf(m.appIds.jsapi),
    oauth: { authorizeBase: ctx.baseUrl, snsBase: ctx.baseUrl },
    bridgeScript: `${ctx.baseUrl}/jsapi/bridge.js`,
  });
  const v3Options = (m: Merchant, verification: 'public-key' | 'certificate'): WechatpaySandboxOptions => ({
    mchId: m.mchId,
    appId: { ...m.appIds },
    ...jsapiOptions(m),
    v3: {
      apiV3Key: m.apiV3Key,
      privateKey: m.certificate.keys.privatePem,
      certificateSerial: m.certificate.serial,
      ...(verification === 'public-key'
        ? { platformPublicKey: keys.publicPem, platformPublicKeyId: platform.publicKeyId }
        : { platformCertificates: 'download' as const }),
    },
    h5: { appName: 'paymount sandbox shop' },
    gateway: ctx.baseUrl,
  });
  const v2Options = (role: MerchantRole): WechatpaySandboxOptions => ({
    mchId: merchants[role].mchId,
    appId: { ...merchants[role].appIds },
    ...jsapiOptions(merchants[role]),
    v2: {
      apiKey: merchants[role].apiV2Key,
      signType: merchants[role].signType,
      clientCertificate: { pfx: Buffer.from(pki.pfx[role]), passphrase: merchants[role].mchId },
    },
    h5: { appName: 'paymount sandbox shop' },
    gateway: tls.origin,
    ca: ca.pem,
  });

  return {
    options: v3Options(v3PublicKey, 'public-key'),
    v3CertificateOptions: v3Options(v3Certificates, 'certificate'),
    v2Options: v2Options('v2Md5'),
    v2HmacOptions: v2Options('v2Hmac'),
    httpsOrigin: tls.origin,
    async handle(req: SandboxRequest): Promise<SandboxResponse> {
      try {
        return await dispatch(req);
      } catch (error) {
        return text(500, `WeChat Pay simulator error: ${(error as Error).message}`);
      }
    },
    rotatePlatformCertificate() {
      platform.rotate();
    },
    inject(path, fault, times = 1) {
      state.faults.set(path, { ...fault, remaining: times });
    },
    injectSignatureProbe(times = 1) {
      state.probes.remaining += times;
    },
    platformRefund(input) {
      const m = state.merchants.get(input.mchId);
      const trade = m && state.trades.get(m, input.outTradeNo);
      if (!trade) throw new Error(`no order ${input.outTradeNo} for merchant ${input.mchId}`);
      const result = state.trades.refund(trade, {
        outRefundNo: input.outRefundNo,
        amount: input.amount,
        total: trade.total,
        notifyUrl: input.notifyUrl,
        notifyApi: 'v2',
        source: 'VENDOR_PLATFORM',
      });
      if ('error' in result) throw new Error(`refund refused: ${result.error}`);
      state.trades.completeRefund(result.refund);
      notifyRefund(state, trade, result.refund);
    },
    damageBills(times = 1) {
      damageBills(state, times);
    },
    v2ApiKey(id) {
      const m = state.merchants.get(id);
      if (!m) throw new Error(`no sandbox merchant ${id}`);
      return m.apiV2Key;
    },
    trade(id, outTradeNo) {
      const m = state.merchants.get(id);
      const trade = m && state.trades.get(m, outTradeNo);
      return trade && view(trade);
    },
    openid: (id, user) => {
      if (!accounts.apps.has(id)) throw new Error(`no sandbox app ${id}`);
      return accounts.openid(id, user);
    },
    appSecret: secretOf,
    get oauthDomains() {
      return state.oauthDomains;
    },
    set oauthDomains(domains) {
      state.oauthDomains = domains;
    },
    async close() {
      for (const timer of state.timers) clearTimeout(timer);
      state.timers.clear();
      await tls.close();
    },
  };
}
