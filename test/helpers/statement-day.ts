import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Payments } from '../../src/index.js';
import type { Sandbox } from '../../src/sandbox/index.js';
import type { TestShop } from './shop.js';

/** A clock tests move by hand: the sandbox and paymount read the same one. */
export interface TestClock {
  (): Date;
  /** Sets the time to a Beijing wall clock: `day` `YYYY-MM-DD`, `time` `HH:mm`. */
  at(day: string, time: string): void;
  /** Moves the time forward. */
  advance(ms: number): void;
}

export function testClock(start: Date): TestClock {
  let now = start.getTime();
  const clock = (() => new Date(now)) as TestClock;
  clock.at = (day, time) => void (now = new Date(`${day}T${time}:00+08:00`).getTime());
  clock.advance = (ms) => void (now += ms);
  return clock;
}

/** The Beijing calendar day `offset` days from the real today (`-1`: yesterday). */
export function beijingDayFromToday(offset: number): string {
  return new Date(Date.now() + 8 * 3600_000 + offset * 86_400_000).toISOString().slice(0, 10);
}

/** A server that answers 503 to everything: a shop that is down, so notifies sent to it are lost. */
export async function deadShop(): Promise<{ url: string; hits: number; close(): Promise<void> }> {
  const state = { hits: 0 };
  const server: Server = createServer((req, res) => {
    state.hits++;
    req.resume();
    res.statusCode = 503;
    res.end('down');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get hits() {
      return state.hits;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The three simulators' app stand-ins take `{ params, action }` at `/<provider>/app/pay`. */
export async function payInApp(
  sandbox: Sandbox,
  payments: Payments,
  provider: 'alipay' | 'wechatpay' | 'unionpay',
  orderId: string,
): Promise<void> {
  const checkout = await payments.checkout({ provider, orderId, channel: 'app', clientIp: '127.0.0.1' });
  if (checkout.type !== 'app') throw new Error(`app checkout answered ${checkout.type}`);
  const res = await fetch(`${sandbox.url}/${provider}/app/pay`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ params: checkout.params, action: 'pay' }),
  });
  const answer = (await res.json()) as { resultStatus?: string; errCode?: number; pay_result?: string };
  if (answer.resultStatus !== '9000' && answer.errCode !== 0 && answer.pay_result !== 'success')
    throw new Error(`the ${provider} app stand-in did not pay: ${JSON.stringify(answer)}`);
}

/** Waits until `check` holds (hooks run when the sandbox's notifies arrive). */
export async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Pays an order through the app stand-in and waits for `onPaid`. */
export async function payAndWait(
  sandbox: Sandbox,
  payments: Payments,
  shop: TestShop,
  provider: 'alipay' | 'wechatpay' | 'unionpay',
  orderId: string,
): Promise<void> {
  await payInApp(sandbox, payments, provider, orderId);
  await until(() => shop.paid.some((p) => p.orderId === orderId), `onPaid of ${orderId}`);
}

/** Refunds through paymount and waits for the final result to reach `onRefunded`. */
export async function refundAndWait(
  payments: Payments,
  shop: TestShop,
  provider: string,
  orderId: string,
  refundId: string,
  amount: number,
): Promise<void> {
  await payments.refund({ provider, orderId, refundId, amount });
  await until(
    () => shop.refunds.some((r) => r.refundId === refundId && r.status === 'success'),
    `onRefunded of ${refundId}`,
  );
}
