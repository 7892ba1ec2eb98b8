import type { AddressInfo } from 'node:net';
import { createNotifier } from './notifier.js';
import { createSandboxServer } from './server.js';
import type { Delivery, NotificationMatch, Simulator, SimulatorContext } from './types.js';
import {
  createAlipaySimulator,
  type AlipaySandboxCertOptions,
  type AlipaySandboxOptions,
  type AlipaySimulator,
} from './alipay/index.js';
// simulator imports: one line per provider
import { createWechatpaySimulator, type WechatpaySandboxOptions, type WechatpaySimulator } from './wechatpay/index.js';
import { createUnionpaySimulator, type UnionpaySandboxOptions, type UnionpaySimulator } from './unionpay/index.js';

export type { Delivery, DeliveryAttempt, NotificationMatch } from './types.js';

/** Options of {@link startSandbox}. */
export interface SandboxOptions {
  /** Port on 127.0.0.1. Default 0 (any free port). */
  port?: number;
  /**
   * Factor applied to the providers' notify retry schedules: 0.001 turns Alipay's 4-minute wait
   * into 240 ms. Default 0.001.
   */
  timeScale?: number;
  /** The sandbox's time, e.g. the same clock given to `createPayments`. Default `() => new Date()`. */
  clock?: () => Date;
}

/** A running sandbox: local simulators of the providers, and the options that point paymount at them. */
export interface Sandbox {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Pass to `alipay(...)`: app id, keys and gateway of the simulated Alipay. */
  alipay: AlipaySandboxOptions;
  /** Pass to `alipay(...)`: a second simulated app, registered in certificate mode. */
  alipayCertificates: AlipaySandboxCertOptions;
  // provider option fields: one block per provider
  /** Pass to `wechatpay(...)`: API v3 merchant in WeChat Pay public-key mode (`PUB_KEY_ID_…`). */
  wechatpay: WechatpaySandboxOptions;
  /** Pass to `wechatpay(...)`: API v3 merchant in platform-certificate mode (downloads `/v3/certificates`). */
  wechatpayV3Certificates: WechatpaySandboxOptions;
  /** Pass to `wechatpay(...)`: API v2 merchant (MD5) with its client certificate and the HTTPS gateway. */
  wechatpayV2: WechatpaySandboxOptions;
  /** Pass to `wechatpay(...)`: API v2 merchant (HMAC-SHA256) with its client certificate and the HTTPS gateway. */
  wechatpayV2Hmac: WechatpaySandboxOptions;
  /** Pass to `unionpay(...)`: merchant number, pfx, CA certificates and gateway of the simulated UnionPay. */
  unionpay: UnionpaySandboxOptions;
  /** The same UnionPay merchant with its pfx in the legacy 3DES/RC2 layout that OpenSSL 3 refuses. */
  unionpayLegacyPfx: UnionpaySandboxOptions;
  /** The simulators themselves, for tests: fault injection, trade state, key rotation. */
  simulators: { alipay: AlipaySimulator; wechatpay: WechatpaySimulator; unionpay: UnionpaySimulator };
  /** Every notification sent so far, with its attempts. */
  deliveries: readonly Delivery[];
  /**
   * Test control: the next `times` (default 1) notifications matching `match` are lost for good,
   * never sent, as for a shop that was down past the provider's retry schedule. They are listed in
   * `deliveries`, finished, with `dropped: true` and no attempts.
   */
  dropNotifications(match: NotificationMatch, times?: number): void;
  /** Resolves with the first delivery matching `match` once it is finished (acknowledged or given up). */
  waitForDelivery(match: (delivery: Delivery) => boolean, timeoutMs?: number): Promise<Delivery>;
  /** Stops the server and every pending retry. */
  close(): Promise<void>;
}

/**
 * Starts local simulators of Alipay, WeChat Pay and UnionPay on 127.0.0.1: gateways that check
 * the merchant's signatures, cashier pages, app-SDK stand-ins, and notify delivery with retries.
 */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const clock = options.clock ?? (() => new Date());
  const timeScale = options.timeScale ?? 0.001;
  const deliveries: Delivery[] = [];
  const notifier = createNotifier(timeScale, clock, deliveries);
  const simulators = new Map<string, Simulator<unknown>>();
  const server = createSandboxServer(simulators);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const context = (name: string): SimulatorContext => ({ baseUrl: `${url}/${name}`, clock, timeScale, notifier });

  const alipay = await createAlipaySimulator(context('alipay'));
  simulators.set('alipay', alipay);
  // simulator start: one block per provider
  const wechatpay = await createWechatpaySimulator(context('wechatpay'));
  simulators.set('wechatpay', wechatpay);
  const unionpay = await createUnionpaySimulator(context('unionpay'));
  simulators.set('unionpay', unionpay);

  return {
    url,
    alipay: alipay.options,
    alipayCertificates: alipay.certificateOptions,
    // returned options: one block per provider
    wechatpay: wechatpay.options,
    wechatpayV3Certificates: wechatpay.v3CertificateOptions,
    wechatpayV2: wechatpay.v2Options,
    wechatpayV2Hmac: wechatpay.v2HmacOptions,
    unionpay: unionpay.options,
    unionpayLegacyPfx: unionpay.legacyPfxOptions,
    simulators: { alipay, wechatpay, unionpay },
    deliveries,
    dropNotifications(match, times = 1) {
      notifier.drop(match, times);
    },
    async waitForDelivery(match, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = deliveries.find((d) => d.finished && match(d));
        if (found) return found;
        if (Date.now() > deadline)
          throw new Error(
            `no finished delivery matched within ${timeoutMs} ms (${deliveries.length} deliveries so far)`,
          );
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    async close() {
      notifier.close();
      for (const simulator of simulators.values()) await simulator.close?.();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
