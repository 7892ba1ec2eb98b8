import { expect } from 'vitest';
import type { Delivery, DeliveryAttempt, Sandbox } from '../../src/sandbox/index.js';
import { parseForms, type HtmlForm } from '../helpers/html-form.js';
import type { Router } from './world.js';

/** Steps the checks share: what a page, an app and a buyer's browser send, over real HTTP. */

export const FORM = 'application/x-www-form-urlencoded';

export function postJson(url: string, value: unknown, init: RequestInit = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(value),
    redirect: 'manual',
    ...init,
  });
}

export function postForm(url: string, fields: Record<string, string>): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': FORM },
    body: new URLSearchParams(fields).toString(),
    redirect: 'manual',
  });
}

/** Reads a response as JSON, failing with the body's text when it is not JSON. */
export async function jsonOf(res: Response): Promise<Record<string, unknown>> {
  const text = await res.text();
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new Error(`expected JSON, got ${res.status} ${res.headers.get('content-type')}: ${text.slice(0, 200)}`);
  }
}

export type ProviderName = 'alipay' | 'wechatpay' | 'unionpay';

/** A new pending order in the router's shop. */
export function newOrder(router: Router, amount = 1234): string {
  return router.shop.addOrder({ amount, subject: 'Conformance 测试' }).id;
}

/** `POST /checkout` with a JSON body; expects 200 and returns the CheckoutResult. */
export async function checkoutJson(
  router: Router,
  provider: ProviderName,
  channel: 'wap' | 'app',
  orderId = newOrder(router),
): Promise<Record<string, unknown>> {
  const res = await postJson(`${router.publicUrl}/checkout`, { orderId, provider, channel });
  const body = await jsonOf(res);
  expect(res.status, JSON.stringify(body)).toBe(200);
  return body;
}

/** The app's SDK, played by the sandbox: pays (or cancels) the app parameters. */
export async function sdkPay(sandbox: Sandbox, provider: ProviderName, params: unknown): Promise<void> {
  const res = await postJson(`${sandbox.url}/${provider}/app/pay`, { params, action: 'pay' });
  expect(res.status, await res.clone().text()).toBe(200);
  await res.arrayBuffer();
}

/** Waits until the sandbox has tried at least once to deliver the order's payment notify. */
export async function firstAttempt(
  sandbox: Sandbox,
  provider: string,
  orderId: string,
  ms = 10_000,
): Promise<DeliveryAttempt> {
  const deadline = Date.now() + ms;
  for (;;) {
    const attempt = sandbox.deliveries
      .find((d) => d.provider === provider && d.orderId === orderId && d.kind === 'payment')
      ?.attempts.find((a) => a.status !== undefined || a.error);
    if (attempt) return attempt;
    if (Date.now() > deadline) throw new Error(`no ${provider} notify attempt for ${orderId} within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Pays a new order through the app channel and waits until the sandbox's notify delivery is finished. */
export async function payInApp(
  sandbox: Sandbox,
  router: Router,
  provider: ProviderName,
): Promise<{ orderId: string; delivery: Delivery }> {
  const orderId = newOrder(router);
  const result = await checkoutJson(router, provider, 'app', orderId);
  expect(result).toMatchObject({ type: 'app', provider });
  await sdkPay(sandbox, provider, result.params);
  const delivery = await sandbox.waitForDelivery(
    (d) => d.provider === provider && d.orderId === orderId && d.kind === 'payment',
    15_000,
  );
  return { orderId, delivery };
}

/** The one delivery attempt the merchant acknowledged, and onPaid ran exactly once for it. */
export function expectPaidOnce(router: Router, orderId: string, delivery: Delivery): DeliveryAttempt {
  const last = delivery.attempts.at(-1)!;
  expect(delivery.acknowledged, JSON.stringify(delivery.attempts)).toBe(true);
  expect(router.shop.paid.filter((p) => p.orderId === orderId)).toHaveLength(1);
  return last;
}

function onlyForm(html: string, base: string): HtmlForm {
  const forms = parseForms(html, base);
  expect(forms, html.slice(0, 500)).toHaveLength(1);
  return forms[0]!;
}

/**
 * The buyer's browser from a checkout link to the cashier page: follows a 302, or submits the
 * auto-submitting form (UnionPay). Returns the cashier's form with its buttons.
 */
export async function openCashier(link: string): Promise<HtmlForm> {
  let res = await fetch(link, { redirect: 'follow' });
  let html = await res.text();
  expect(res.status, html.slice(0, 300)).toBe(200);
  let form = onlyForm(html, res.url);
  if (form.buttons.length === 0) {
    res = await fetch(form.action, {
      method: 'POST',
      headers: { 'content-type': FORM },
      body: new URLSearchParams(form.fields).toString(),
    });
    html = await res.text();
    expect(res.status, html.slice(0, 300)).toBe(200);
    form = onlyForm(html, res.url);
  }
  expect(form.buttons).toContain('pay');
  return form;
}

/**
 * Presses a cashier button and brings the browser back to the shop: a 302 is followed with GET,
 * an auto-posting page (UnionPay) is submitted. Returns the shop's answer, unfollowed.
 */
export async function pressAndComeBack(
  cashier: HtmlForm,
  action: 'pay' | 'cancel',
): Promise<{ back: Response; via: 'GET' | 'POST'; url: string }> {
  const answer = await postForm(cashier.action, { ...cashier.fields, action });
  if (answer.status === 302) {
    const url = answer.headers.get('location')!;
    return { back: await fetch(url, { redirect: 'manual' }), via: 'GET', url };
  }
  const html = await answer.text();
  expect(answer.status, html.slice(0, 300)).toBe(200);
  const form = onlyForm(html, cashier.action);
  return { back: await postForm(form.action, form.fields), via: 'POST', url: form.action };
}

/** Waits (briefly) for a condition the server reaches asynchronously. */
export async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
