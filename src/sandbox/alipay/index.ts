import { freshIdentities } from '../state-dir.js';
import type { SandboxRequest, SandboxResponse, Simulator, SimulatorContext } from '../types.js';
import { handleApi } from './api.js';
import { createAppSdk } from './app-sdk.js';
import { BILL_METHOD, createBills, platformRefund, type AlipayPlatformRefund } from './bill.js';
import { parseBiz } from './biz.js';
import { createCashier } from './cashier.js';
import { GatewayFault } from './errors.js';
import { FaultQueue, type InjectedFault } from './faults.js';
import {
  API_METHODS,
  APP_PAY,
  authenticate,
  gatewayParams,
  WAP_PAY,
  type ApiMethod,
  type Params,
  type SimApp,
} from './gateway.js';
import { errorPage } from './html.js';
import { createNotifySender } from './notify.js';
import { alipayPki, newAlipayIdentity, readAlipayIdentity } from './pki.js';
import { apiFault } from './response.js';
import { TradeBook, type TradeSnapshot } from './trades.js';

export type { InjectedFault } from './faults.js';
export type { TradeSnapshot, TradeStatus } from './trades.js';
export type { AppAction } from './app-sdk.js';
export type { AlipayPlatformRefund } from './bill.js';

/** Options for `alipay({...})` in public-key mode, pointing at the simulator. */
export interface AlipaySandboxOptions {
  /** The sandbox app id, e.g. `9021000000000001`. */
  appId: string;
  /** The merchant app private key, PKCS#8 PEM (RSA-2048, generated at start). */
  privateKey: string;
  /** The simulator's "Alipay public key", SPKI PEM: a different key pair from the app's. */
  alipayPublicKey: string;
  /** `${baseUrl}/gateway.do` */
  gateway: string;
  /** `2088` + 12 digits; the `seller_id` of notifies, returns and queries. */
  sellerId: string;
}

/** Options for `alipay({...})` in certificate mode: a second app, registered with certificates. */
export interface AlipaySandboxCertOptions {
  appId: string;
  /** The private key of the app certificate, PKCS#8 PEM. */
  privateKey: string;
  gateway: string;
  sellerId: string;
  /** PEM text: the app certificate, the Alipay public-key certificate, the root bundle. */
  certificates: { appCert: string; alipayCert: string; alipayRootCert: string };
}

/** The Alipay simulator: gateway, cashier, app SDK stand-in and notifier. */
export interface AlipaySimulator extends Simulator<AlipaySandboxOptions> {
  certificateOptions: AlipaySandboxCertOptions;
  /** Test control: the next call(s) of `method` answer with this fault instead. */
  inject(method: string, fault: InjectedFault, times?: number): void;
  /** Trades by out_trade_no, for assertions. */
  trades: ReadonlyMap<string, TradeSnapshot>;
  /**
   * Test control: a refund made in the merchant's Alipay account, not through the API. It is in the
   * day's bill and notifies like any refund of the trade (to `notifyUrl` when given).
   */
  platformRefund(input: AlipayPlatformRefund): void;
}

const APP_ID = '9021000000000001';
const CERT_APP_ID = '9021000000000002';
const SELLER_ID = '2088102000000001';
const GATEWAY_METHODS: readonly string[] = [WAP_PAY, ...API_METHODS, BILL_METHOD];

/**
 * Starts a simulated Alipay below `ctx.baseUrl`: `GET|POST /gateway.do`, `POST /cashier`,
 * `POST /app/pay`, `GET /bill/download` (the daily bill behind `bill_download_url`). Keys and
 * certificates are new for every simulator, unless the sandbox keeps them in a state dir.
 */
export async function createAlipaySimulator(ctx: SimulatorContext): Promise<AlipaySimulator> {
  const identities = ctx.identities ?? freshIdentities;
  const pki = alipayPki(await identities.keep('alipay', () => newAlipayIdentity(CERT_APP_ID), readAlipayIdentity));
  const gateway = `${ctx.baseUrl}/gateway.do`;
  const keyApp: SimApp = {
    appId: APP_ID,
    sellerId: SELLER_ID,
    appKey: pki.app.publicKey,
    signer: { key: pki.alipay.privateKey },
  };
  const certApp: SimApp = {
    appId: CERT_APP_ID,
    sellerId: SELLER_ID,
    appKey: pki.certApp.publicKey,
    signer: { key: pki.alipayCertKey.privateKey, alipayCertSn: pki.alipayCertSn },
    cert: { appCertSn: pki.appCertSn, rootCertSn: pki.rootCertSn },
  };
  const apps = new Map<string, SimApp>([
    [keyApp.appId, keyApp],
    [certApp.appId, certApp],
  ]);

  const notifications = createNotifySender(ctx, (trade) => {
    const app = apps.get(trade.appId);
    if (!app) throw new Error(`no sandbox app ${trade.appId} for trade ${trade.outTradeNo}`);
    return app.signer;
  });
  const book = new TradeBook(ctx.clock, (event) => notifications.emit(event));
  const faults = new FaultQueue();
  const drain = () => notifications.drain();
  const cashier = createCashier({ baseUrl: ctx.baseUrl, clock: ctx.clock, book, drain });
  const appSdk = createAppSdk({ apps, clock: ctx.clock, book, faults, drain });
  const bills = createBills(book, ctx.clock, ctx.baseUrl);

  async function gatewayCall(req: SandboxRequest): Promise<SandboxResponse> {
    if (req.method !== 'GET' && req.method !== 'POST')
      return { status: 405, headers: { allow: 'GET, POST' }, body: 'gateway.do takes GET or POST' };
    let params: Params;
    try {
      params = gatewayParams(req);
    } catch (error) {
      if (!(error instanceof GatewayFault)) throw error;
      // Nothing is trusted yet, so the answer is unsigned; a browser gets the cashier's error page.
      const method = req.query.get('method') ?? undefined;
      if (method === WAP_PAY) return errorPage(error.subCode, error.subMsg);
      return apiFault(method, new GatewayFault(error.code, error.subCode, error.subMsg, false), undefined);
    }
    const method = params.method;
    const page = method === WAP_PAY;
    const known = params.app_id ? apps.get(params.app_id) : undefined;
    try {
      if (method === APP_PAY) {
        throw new GatewayFault(
          '40002',
          'isv.invalid-method',
          'alipay.trade.app.pay 不能直接调用网关 (the order string goes to the Alipay app SDK, not to gateway.do)',
        );
      }
      const app = authenticate(params, apps, ctx.clock(), GATEWAY_METHODS);
      // authenticate() refuses a request without a gateway method.
      if (method === undefined) throw new Error('a request without method passed authentication');
      const injected = faults.take(method);
      if (injected) throw injected;
      if (page) return cashier.enter(app, params);
      if (method === BILL_METHOD) return await bills.query(app, parseBiz(params.biz_content));
      const response = await handleApi(method as ApiMethod, app, parseBiz(params.biz_content), book);
      await drain();
      return response;
    } catch (error) {
      if (!(error instanceof GatewayFault)) throw error;
      await drain();
      if (page) return errorPage(error.subCode, error.subMsg);
      return apiFault(method, error, known?.signer);
    }
  }

  return {
    options: {
      appId: APP_ID,
      privateKey: pki.app.privatePem,
      alipayPublicKey: pki.alipay.publicPem,
      gateway,
      sellerId: SELLER_ID,
    },
    certificateOptions: {
      appId: CERT_APP_ID,
      privateKey: pki.certApp.privatePem,
      gateway,
      sellerId: SELLER_ID,
      certificates: { appCert: pki.appCertPem, alipayCert: pki.alipayCertPem, alipayRootCert: pki.rootBundlePem },
    },
    trades: book.snapshots,
    inject(method, fault, times = 1) {
      faults.add(method, fault, times);
    },
    platformRefund(input) {
      platformRefund(book, input);
    },
    async handle(req) {
      switch (req.path) {
        case '/gateway.do':
          return gatewayCall(req);
        case '/cashier':
          return cashier.submit(req);
        case '/app/pay':
          return appSdk(req);
        case '/bill/download':
          return bills.download(req);
        default:
          return {
            status: 404,
            headers: { 'content-type': 'text/plain; charset=utf-8' },
            body: `no such Alipay sandbox endpoint: ${req.path} (have /gateway.do, /cashier, /app/pay, /bill/download)`,
          };
      }
    },
  };
}
