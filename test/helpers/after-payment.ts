import { expect } from 'vitest';
import {
  alipay,
  createPayments,
  memoryStore,
  unionpay,
  wechatpay,
  type Payments,
  type PaymentsOptions,
  type PaymentStore,
} from '../../src/index.js';
import { startSandbox, type Delivery, type Sandbox } from '../../src/sandbox/index.js';
import { openCashier, postForm, postJson, jsonOf, until, type ProviderName } from '../conformance/flows.js';
import type { HtmlForm } from './html-form.js';
import { startGatewayTap, type GatewayTap } from './gateway-tap.js';
import { createShop, startApp, type Framework, type RunningApp, type TestShop } from './shop.js';
import { replay, startTee, type Tee, type TeedRequest } from './tee.js';

/**
 * What the after-payment tests share: one sandbox with a gateway tap in front of it (every query,
 * close and refund is counted where the sandbox receives it), and shops mounted in real Express
 * and Koa apps whose providers go through the tap. Each shop has a store of its own that a
 * "restart" (a new `createPayments`) keeps.
 */

export { replay, until, type ProviderName, type Tee, type TeedRequest };
export const PROVIDERS: readonly ProviderName[] = ['alipay', 'wechatpay', 'unionpay'];

export interface World {
  sandbox: Sandbox;
  tap: GatewayTap;
  close(): Promise<void>;
}

/** Starts the sandbox (notify retries every few ms: `timeScale` 0.00002 turns Alipay's 4 min into 5 ms). */
export async function startWorld(options: { clock?: () => Date; timeScale?: number } = {}): Promise<World> {
  const sandbox = await startSandbox({ timeScale: options.timeScale ?? 0.00002, clock: options.clock });
  const tap = await startGatewayTap(sandbox);
  return {
    sandbox,
    tap,
    async close() {
      await tap.close();
      await sandbox.close();
    },
  };
}

type Extra = Partial<Omit<PaymentsOptions, 'publicUrl' | 'providers'>>;

export interface Site {
  framework: Framework;
  app: RunningApp;
  /** `publicUrl`: the shop's `/pay` behind a tee that keeps every request (notifies among them). */
  publicUrl: string;
  /** The notifications the shop received, as sent. */
  notifies(provider: ProviderName, kind?: 'payment' | 'refund'): TeedRequest[];
  /** Sends a kept request to the shop again, byte for byte (a provider's retry). */
  replay(kept: TeedRequest): Promise<{ status: number; body: string }>;
  shop: TestShop;
  store: PaymentStore;
  payments: Payments;
  /** A new `createPayments` on the same store, mounted in place of the old one: a restart. */
  restart(extra?: Extra): Payments;
  /** Another instance on the same store (not mounted): what a second server process would be. */
  instance(extra?: Extra): Payments;
  /**
   * Another instance on the same store, mounted at `/pay` of a second real app of the same
   * framework, behind a tee of its own: `url` is its origin, `requests` what reached it.
   */
  twin(extra?: Extra): Promise<Tee>;
  /** Notifies that reached the shop and are not answered yet. */
  inFlight(): TeedRequest[];
  /** The sandbox merchant behind the shop's `wechatpay` (API v3 by default, or v2). */
  wechatpayMchId: string;
}

export interface SiteOptions {
  /**
   * Which WeChat Pay API the shop's merchant speaks. v2 goes straight to the sandbox's HTTPS
   * gateway (mutual TLS), past the tap.
   */
  wechatpayApi?: 'v3' | 'v2';
}

const running: (RunningApp | Tee)[] = [];

/** Closes every app the tests started. */
export async function closeSites(): Promise<void> {
  await Promise.all(running.splice(0).map((app) => app.close()));
}

/** A shop mounted at `/pay` of a real app, its three providers reaching the sandbox through the tap. */
export async function startSite(
  world: World,
  framework: Framework,
  extra: Extra = {},
  options: SiteOptions = {},
): Promise<Site> {
  const app = await startApp(framework);
  const tee = await startTee(app.origin);
  running.push(app, tee);
  const shop = createShop();
  const store = memoryStore();
  const publicUrl = `${tee.url}/pay`;
  const wechatpayOptions = options.wechatpayApi === 'v2' ? world.sandbox.wechatpayV2 : world.tap.wechatpay;
  const make = (more: Extra) =>
    createPayments({
      publicUrl,
      providers: {
        alipay: alipay(world.tap.alipay),
        wechatpay: wechatpay(wechatpayOptions),
        unionpay: unionpay(world.tap.unionpay),
      },
      ...shop.hooks,
      store,
      logger: false,
      ...extra,
      ...more,
    });
  const site: Site = {
    framework,
    app,
    publicUrl,
    notifies: (provider, kind = 'payment') =>
      tee.requests.filter((r) => r.path === `/pay/notify/${provider}${kind === 'refund' ? '/refund' : ''}`),
    replay: (kept) => replay(app.origin, kept),
    shop,
    store,
    payments: make({}),
    restart(more = {}) {
      site.payments = make(more);
      app.use(site.payments);
      return site.payments;
    },
    instance: (more = {}) => make(more),
    async twin(more = {}) {
      const other = await startApp(framework);
      const otherTee = await startTee(other.origin);
      running.push(other, otherTee);
      other.use(make(more));
      return otherTee;
    },
    inFlight: () => tee.requests.filter((r) => r.path.startsWith('/pay/notify/') && r.status === undefined),
    wechatpayMchId: wechatpayOptions.mchId,
  };
  app.use(site.payments);
  return site;
}

let seq = 0;
/** A new order id that every provider takes as its trade number. */
export const newOrderId = (prefix = 'AP') => `${prefix}${Date.now().toString(36)}${String(++seq).padStart(4, '0')}`;

/** `POST /checkout` (JSON), as a page or an app would; expects 200. */
export async function checkout(
  site: Site,
  provider: ProviderName,
  channel: 'wap' | 'app',
  orderId: string,
): Promise<Record<string, unknown>> {
  const res = await postJson(`${site.publicUrl}/checkout`, { orderId, provider, channel });
  const body = await jsonOf(res);
  expect(res.status, JSON.stringify(body)).toBe(200);
  return body;
}

/** The buyer follows the order's checkout link to the provider's cashier page (not paid yet). */
export function wapCashier(site: Site, provider: ProviderName, orderId: string): Promise<HtmlForm> {
  return openCashier(`${site.publicUrl}/checkout/${provider}?orderId=${encodeURIComponent(orderId)}`);
}

/** Presses a cashier button and does not come back to the shop (the buyer closed the page). */
export async function press(cashier: HtmlForm, action: 'pay' | 'cancel' = 'pay'): Promise<void> {
  const res = await postForm(cashier.action, { ...cashier.fields, action });
  expect([200, 302], await res.clone().text()).toContain(res.status);
  await res.arrayBuffer();
}

/** The provider's app SDK, played by the sandbox, pays app parameters from checkout. */
export async function sdkPay(world: World, provider: ProviderName, params: unknown): Promise<void> {
  const res = await postJson(`${world.sandbox.url}/${provider}/app/pay`, { params, action: 'pay' });
  const text = await res.text();
  expect(res.status, text).toBe(200);
}

/** Pays an app checkout of the order and answers the trade number paid. */
export async function payInApp(world: World, site: Site, provider: ProviderName, orderId: string): Promise<string> {
  const result = await checkout(site, provider, 'app', orderId);
  expect(result).toMatchObject({ type: 'app', provider });
  const tradeNo = (await attempts(site, provider, orderId)).current;
  await sdkPay(world, provider, result.params);
  return tradeNo;
}

/** The order's checkout attempts at a provider, as the store keeps them. */
export async function attempts(
  site: Site,
  provider: ProviderName,
  orderId: string,
): Promise<{ current: string; tradeNumbers: string[] }> {
  const text = await site.store.get(`paymount:checkout:${provider}:${orderId}`);
  expect(text, `no ${provider} checkout recorded for ${orderId}`).toBeDefined();
  const entry = JSON.parse(text!) as { current: string; attempts: Record<string, unknown> };
  return { current: entry.current, tradeNumbers: Object.keys(entry.attempts) };
}

/** The finished delivery of a notification about `tradeNo` (acknowledged, given up, or dropped). */
export function delivery(world: World, provider: ProviderName, tradeNo: string, kind = 'payment'): Promise<Delivery> {
  return world.sandbox.waitForDelivery(
    (d) => d.provider === provider && d.orderId === tradeNo && d.kind === kind,
    20_000,
  );
}

/** Waits until the notification about `tradeNo` was acknowledged by the shop. */
export async function acknowledged(
  world: World,
  provider: ProviderName,
  tradeNo: string,
  kind = 'payment',
): Promise<Delivery> {
  const found = await delivery(world, provider, tradeNo, kind);
  expect(found.acknowledged, JSON.stringify(found.attempts)).toBe(true);
  return found;
}

/** The open-attempts index as the store holds it: `[provider, orderId, tradeNo]` entries. */
export async function openAttempts(site: Site): Promise<[string, string, string][]> {
  const members = await site.store.indexRange('paymount:open', Number.MAX_SAFE_INTEGER, 10_000);
  return members.map((m) => JSON.parse(m) as [string, string, string]);
}
