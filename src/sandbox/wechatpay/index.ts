import type { SandboxRequest, SandboxResponse, Simulator, SimulatorContext } from '../types.js';
import { appPay } from './app-sdk.js';
import { damageBills } from './bills.js';
import { showCashier, submitCashier } from './cashier.js';
import { nonce, type V2SignType } from './crypto.js';
import { notifyRefund } from './notify.js';
import { Platform } from './platform.js';
import {
  digits,
  issueCa,
  issueMerchantCert,
  issuePlatformCert,
  issueServerCert,
  merchantPkcs12,
  publicKeyId,
  sandboxStartKeys,
  type KeyPair,
} from './pki.js';
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
  appId: string | { wap: string; app: string };
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
  gateway?: 'production' | string;
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
  /** Test control: the next `times` v3 notifies are first sent with a `WECHATPAY/SIGNTEST/` probe signature, then retried correctly signed. */
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
  close(): Promise<void>;
}

function appId(): string {
  return `wx${digits(16).replace(/\d/g, (d) => 'abcdef0123456789'[Number(d)]!)}`;
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
 * HMAC-SHA256) with generated keys and certificates, the v2/v3 gateway on the sandbox's HTTP
 * server and on an HTTPS listener (mutual TLS for `/secapi/*`), the H5 cashier, the APP SDK
 * stand-in, and notifies with WeChat's retry schedule.
 */
export async function createWechatpaySimulator(ctx: SimulatorContext): Promise<WechatpaySimulator> {
  const now = ctx.clock();
  const keys = await sandboxStartKeys();
  const ca = issueCa(keys.ca, now);
  const serverCert = issueServerCert(ca, keys.ca, now);
  const used = new Set<string>();
  const mchId = () => {
    for (;;) {
      const id = `19${digits(8)}`;
      if (!used.has(id)) return (used.add(id), id);
    }
  };
  const merchant = (
    keys: KeyPair,
    api: 'v3' | 'v2',
    verification: Merchant['verification'],
    signType: V2SignType,
  ): Merchant => {
    const id = mchId();
    return {
      mchId: id,
      appIds: { wap: appId(), app: appId() },
      api,
      verification,
      apiV3Key: nonce(32),
      apiV2Key: nonce(32),
      signType,
      certificate: issueMerchantCert(ca, keys, id, now),
    };
  };
  const v3PublicKey = merchant(keys.v3PublicKeyMerchant, 'v3', 'public-key', 'MD5');
  const v3Certificates = merchant(keys.v3CertificateMerchant, 'v3', 'certificate', 'MD5');
  const v2Md5 = merchant(keys.v2Merchant, 'v2', 'certificate', 'MD5');
  const v2Hmac = merchant(keys.v2Merchant, 'v2', 'certificate', 'HMAC-SHA256');
  const platform = new Platform(
    ca,
    keys.publicKey,
    publicKeyId(v3PublicKey.mchId),
    issuePlatformCert(ca, keys.platform, now),
    ctx.clock,
  );

  const state: SimState = {
    ctx,
    merchants: new Map([v3PublicKey, v3Certificates, v2Md5, v2Hmac].map((m) => [m.mchId, m])),
    trades: new TradeBook(ctx.clock),
    platform,
    faults: new Map(),
    timers: new Set(),
    nonces: new Map(),
    probes: { remaining: 0 },
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
    return text(404, `no WeChat Pay endpoint at ${req.path}`);
  }

  const tls = await startTlsListener({ key: keys.ca.privatePem, cert: serverCert.pem, ca: ca.pem, handle: dispatch });

  const v3Options = (m: Merchant, verification: 'public-key' | 'certificate'): WechatpaySandboxOptions => ({
    mchId: m.mchId,
    appId: { ...m.appIds },
    v3: {
      apiV3Key: m.apiV3Key,
      privateKey: m.certificate.keys.privatePem,
      certificateSerial: m.certificate.serial,
      ...(verification === 'public-key'
        ? { platformPublicKey: keys.publicKey.publicPem, platformPublicKeyId: platform.publicKeyId }
        : { platformCertificates: 'download' as const }),
    },
    h5: { appName: 'paymount sandbox shop' },
    gateway: ctx.baseUrl,
  });
  const v2Options = (m: Merchant): WechatpaySandboxOptions => ({
    mchId: m.mchId,
    appId: { ...m.appIds },
    v2: {
      apiKey: m.apiV2Key,
      signType: m.signType,
      clientCertificate: { pfx: merchantPkcs12(m.certificate, ca, m.mchId), passphrase: m.mchId },
    },
    h5: { appName: 'paymount sandbox shop' },
    gateway: tls.origin,
    ca: ca.pem,
  });

  return {
    options: v3Options(v3PublicKey, 'public-key'),
    v3CertificateOptions: v3Options(v3Certificates, 'certificate'),
    v2Options: v2Options(v2Md5),
    v2HmacOptions: v2Options(v2Hmac),
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
    async close() {
      for (const timer of state.timers) clearTimeout(timer);
      state.timers.clear();
      await tls.close();
    },
  };
}
