import type { AddressInfo } from 'node:net';
import { baseUrlOf, checkAddress } from './address.js';
import { createNotifier } from './notifier.js';
import { createSandboxServer } from './server.js';
import { defaultKeyCache, useKeyCache } from './keys.js';
import { openStateDir } from './state-dir.js';
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
  /**
   * The address to listen on. Default `127.0.0.1` (this machine only); `0.0.0.0` (or `::`) for a
   * phone on the same network, with {@link SandboxOptions.publicUrl} set to the address it uses.
   */
  host?: string;
  /** The port to listen on. Default 0 (any free port); a fixed one keeps the gateways of a restart. */
  port?: number;
  /**
   * The origin phones and the shop reach the sandbox at, e.g. `http://192.168.1.20:4000`: every URL
   * the sandbox hands out (gateways, cashier pages, form actions, {@link Sandbox.url}) starts with it.
   * Default `http://<host>:<port>` (`http://127.0.0.1:<port>` for `0.0.0.0`).
   */
  publicUrl?: string;
  /**
   * A directory that keeps the simulators' keys, certificates and ids (0600 files, created if
   * missing): the first start writes them, later starts read them, so the provider options handed
   * out stay the same across restarts (their gateways too, given the same `publicUrl` or port).
   * Default: none, new keys and ids at every start.
   */
  stateDir?: string;
  /**
   * A directory where RSA keys are kept for the next processes (`keys.json`, 0600), so that only
   * the first start in a project generates them: certificates, serials, ids and API keys are still
   * new at every start. `false`: none. Default `node_modules/.cache/paymount-sandbox` in the working
   * directory, when it has a `node_modules`. Not used for what `stateDir` keeps.
   */
  keyCache?: string | false;
  /**
   * Port of WeChat Pay's HTTPS gateway (API v2 over mutual TLS). Default: `port + 1` when `port` is
   * given, else 0 (any free port).
   */
  httpsPort?: number;
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
  /** The base URL the simulators hand out: `http://127.0.0.1:<port>`, or the `publicUrl` given. */
  url: string;
  /** The port the sandbox listens on (the one chosen when `port` was 0). */
  port: number;
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
 * Starts local simulators of Alipay, WeChat Pay and UnionPay (on 127.0.0.1 unless `host` says
 * otherwise): gateways that check the merchant's signatures, cashier pages, app-SDK stand-ins, and
 * notify delivery with retries.
 */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const address = checkAddress(options);
  const clock = options.clock ?? (() => new Date());
  const timeScale = options.timeScale ?? 0.001;
  const identities = options.stateDir === undefined ? undefined : await openStateDir(options.stateDir);
  await useKeyCache(options.keyCache === false ? undefined : (options.keyCache ?? defaultKeyCache()));
  const deliveries: Delivery[] = [];
  const notifier = createNotifier(timeScale, clock, deliveries);
  const simulators = new Map<string, Simulator<unknown>>();
  const server = createSandboxServer(simulators);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(address.port, address.host, resolve);
  });
  const port = (server.address() as AddressInfo).port;
  const url = baseUrlOf(address, port);
  const context = (name: string): SimulatorContext => ({
    baseUrl: `${url}/${name}`,
    clock,
    timeScale,
    notifier,
    host: address.host,
    identities,
  });

  // Started together, so that their key generation shares the thread pool.
  const starting = [
    createAlipaySimulator(context('alipay')),
    // simulator start: one line per provider
    createWechatpaySimulator(context('wechatpay'), { httpsPort: address.httpsPort }),
    createUnionpaySimulator(context('unionpay')),
  ] as const;
  const [alipay, wechatpay, unionpay] = await Promise.all(starting).catch(async (error: unknown) => {
    // One failed (a state dir it cannot read, a port in use): nothing of this start may keep running.
    for (const result of await Promise.allSettled(starting))
      if (result.status === 'fulfilled') await result.value.close?.();
    notifier.close();
    server.close();
    throw error;
  });
  simulators.set('alipay', alipay);
  simulators.set('wechatpay', wechatpay);
  simulators.set('unionpay', unionpay);

  return {
    url,
    port,
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
