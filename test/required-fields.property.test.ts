import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alipay, createPayments, unionpay, wechatpay, type PaidEvent } from '../src/index.js';
import {
  alipayOptions,
  alipayPaid,
  formBody,
  signAlipay,
  signUnionpay,
  signWechatV2,
  unionpayOptions,
  unionpayPaid,
  wechatV2Paid,
  wechatV3Notify,
  wechatV3Options,
  wechatV3Transaction,
  ALIPAY_APP_ID,
  ALIPAY_SELLER_ID,
  UNIONPAY_MER_ID,
  WECHAT_APP_ID,
  WECHAT_MCH_ID,
  WECHAT_V2_KEY,
  xmlBody,
  type Pairs,
} from './helpers/provider-messages.js';
import { createShop, startApp, type RunningApp, type TestShop } from './helpers/shop.js';

/**
 * A bounded fuzz of paid notifies (docs/after-payment.md#fields-that-must-be-there). Each run takes
 * a fresh order's valid notify, drops some fields and has the provider's key sign what is left (a
 * message the provider could have sent), then folds fields into their neighbour's value or sends a
 * field twice (tampering that keeps the signed `k=v&k=v` string). paymount must either fulfil the
 * order with exactly the values of the untouched message, or refuse it (4xx) without `onPaid`,
 * `onClosed` or `onRefunded`. The run count is small so that `npm test` stays quick; a failure
 * prints the seed and the shrunk message to replay.
 */

/** `FUZZ_RUNS=5000` for a longer hunt; the default keeps `npm test` quick. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
const TIMEOUT = 240_000 + RUNS * 400;

let seq = 0;
const orderId = (prefix: string) => `${prefix}${Date.now().toString(36)}${String(++seq).padStart(5, '0')}`;
const digits = (width: number) =>
  `${Date.now() % 1e6}${String(++seq).padStart(5, '0')}`.padStart(width, '0').slice(-width);

/** What the fuzz does to one message: fields dropped before signing, then folds and duplicates. */
interface Tampering {
  drop: number[];
  after: ({ kind: 'fold'; at: number; count: number } | { kind: 'twice'; at: number; value: string })[];
}

const tampering: fc.Arbitrary<Tampering> = fc
  .record({
    drop: fc.array(fc.nat(), { maxLength: 2 }),
    after: fc.array(
      fc.oneof(
        fc.record({ kind: fc.constant('fold' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 3 }) }),
        fc.record({
          kind: fc.constant('twice' as const),
          at: fc.nat(),
          value: fc.constantFrom('', '0', '1', 'SUCCESS', '2088000000000001', '1230000999', '777290058199999'),
        }),
      ),
      { maxLength: 2 },
    ),
  })
  .filter((t) => t.drop.length + t.after.length > 0);

/**
 * Applies `t` to an unsigned message: drops, signs with `sign`, then folds (within the fields that
 * are signed, in sorted order, so that the signed string stays the same) and duplicates.
 */
function tamper(pairs: Pairs, t: Tampering, sign: (p: Pairs) => Pairs, unsignedKeys: readonly string[]): Pairs {
  let message = [...pairs];
  for (const i of t.drop) message.splice(i % message.length, 1);
  message = sign(message);
  for (const step of t.after) {
    const signed = message.filter(([k, v]) => v !== '' && !unsignedKeys.includes(k)).map(([k]) => k);
    const sorted = [...new Set(signed)].sort();
    if (step.kind === 'fold') {
      if (sorted.length < 2) continue;
      const into = sorted[step.at % (sorted.length - 1)]!;
      const moved = sorted.slice(sorted.indexOf(into) + 1, sorted.indexOf(into) + 1 + step.count);
      const tail = moved.map((k) => `&${k}=${message.find(([key]) => key === k)![1]}`).join('');
      message = message
        .filter(([k]) => !moved.includes(k))
        .map(([k, v]): [string, string] => (k === into ? [k, `${v}${tail}`] : [k, v]));
    } else {
      const [key] = message[step.at % message.length]!;
      message.push([key, step.value]);
    }
  }
  return message;
}

/**
 * The values of `onPaid` a user checks. Of `raw` (the message as sent), only the merchant and app
 * ids: a payment is only ever fulfilled for a message that names this merchant.
 */
const seen = (e: PaidEvent, identity: readonly string[]) => ({
  identity: Object.fromEntries(identity.map((k) => [k, e.raw[k]])),
  provider: e.provider,
  channel: e.channel,
  orderId: e.orderId,
  transactionId: e.transactionId,
  amount: e.amount,
  currency: e.currency,
  paidAt: e.paidAt.toISOString(),
  payer: e.payer,
  duplicateOf: e.duplicateOf,
});

let app: RunningApp;
let shop: TestShop;

beforeAll(async () => {
  app = await startApp('express');
  shop = createShop();
  app.use(
    createPayments({
      publicUrl: app.publicUrl,
      providers: {
        alipay: alipay(alipayOptions()),
        wechatpay: wechatpay({ ...wechatV3Options(), v2: { apiKey: WECHAT_V2_KEY, signType: 'HMAC-SHA256' } }),
        unionpay: unionpay(unionpayOptions()),
      },
      ...shop.hooks,
      logger: false,
    }),
  );
});
afterAll(async () => {
  await app.close();
});

async function post(provider: string, body: string, headers: Record<string, string>) {
  const res = await fetch(`${app.publicUrl}/notify/${provider}`, { method: 'POST', headers, body });
  return { status: res.status, text: await res.text() };
}

/**
 * Runs the property for one provider: `send(order, transactionId, t)` posts the tampered message
 * (`t` undefined: untouched). The untouched message's `onPaid` values are the only ones allowed.
 */
async function fuzz(
  prefix: string,
  send: (order: string, transactionId: string, t?: Tampering) => Promise<{ status: number }>,
  transactionId: () => string,
  identity: Record<string, string>,
) {
  const names = Object.keys(identity);
  const first = { order: orderId(prefix), id: transactionId() };
  shop.addOrder({ id: first.order, amount: 100 });
  expect((await send(first.order, first.id)).status).toBeLessThan(300);
  const [baseline] = shop.paid.filter((p) => p.orderId === first.order).map((e) => seen(e, names));
  expect(baseline).toMatchObject({ orderId: first.order, transactionId: first.id, amount: 100, identity });
  let fulfilled = 0;
  let refused = 0;
  await fc.assert(
    fc.asyncProperty(tampering, async (t) => {
      const order = orderId(prefix);
      const id = transactionId();
      shop.addOrder({ id: order, amount: 100 });
      const res = await send(order, id, t);
      const paid = shop.paid.filter((p) => p.orderId === order).map((e) => seen(e, names));
      const others = [...shop.closed, ...shop.refunds].filter((e) => e.orderId === order);
      expect(others).toEqual([]);
      if (res.status < 300) {
        fulfilled++;
        expect(paid).toEqual([{ ...baseline, orderId: order, transactionId: id }]);
      } else {
        refused++;
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
        expect(paid).toEqual([]);
      }
    }),
    { numRuns: RUNS },
  );
  // Both outcomes occur: a fuzz that only ever refuses (or only pays) would prove nothing.
  expect(fulfilled).toBeGreaterThan(0);
  expect(refused).toBeGreaterThan(0);
}

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

describe('tampered notifies pay the original values or nothing', () => {
  it(
    'Alipay',
    () =>
      fuzz(
        'A',
        (order, id, t) => {
          const pairs = alipayPaid(order, id, '1.00');
          const message = t ? tamper(pairs, t, signAlipay, ['sign', 'sign_type']) : signAlipay(pairs);
          return post('alipay', formBody(message), FORM);
        },
        () => `2026112922001446${digits(12)}`,
        { app_id: ALIPAY_APP_ID, seller_id: ALIPAY_SELLER_ID },
      ),
    TIMEOUT,
  );

  it(
    'WeChat Pay v2',
    () =>
      fuzz(
        'W',
        (order, id, t) => {
          const pairs = wechatV2Paid(order, id, 100);
          const sign = (p: Pairs) => signWechatV2(p, 'HMAC-SHA256');
          const message = t ? tamper(pairs, t, sign, ['sign']) : sign(pairs);
          return post('wechatpay', xmlBody(message), { 'content-type': 'text/xml' });
        },
        () => `42000000002026112900${digits(8)}`,
        { appid: WECHAT_APP_ID, mch_id: WECHAT_MCH_ID },
      ),
    TIMEOUT,
  );

  it(
    'UnionPay',
    () =>
      fuzz(
        'U',
        (order, id, t) => {
          const pairs = unionpayPaid(order, id, 100);
          const message = t ? tamper(pairs, t, signUnionpay, ['signature']) : signUnionpay(pairs);
          return post('unionpay', formBody(message), FORM);
        },
        () => `78261129175012${digits(7)}`,
        { merId: UNIONPAY_MER_ID },
      ),
    TIMEOUT,
  );

  it(
    'WeChat Pay v3',
    () =>
      fuzz(
        'V',
        (order, id, t) => {
          // v3 signs the whole JSON body, so nothing folds: the fuzz drops fields of the decrypted
          // resource (nested ones too) and has the platform key sign the result.
          const resource = wechatV3Transaction(order, id, 100);
          for (const i of t?.drop ?? []) dropPath(resource, i);
          // A field's type changes at most once: changed twice, it would be another value of the
          // same type, which WeChat could have signed (the fuzz re-signs) and paymount must report.
          const retyped = new Set<string>();
          for (const step of t?.after ?? []) if (step.kind === 'twice') retype(resource, step.at, retyped);
          const { headers, body } = wechatV3Notify(JSON.stringify(resource));
          return post('wechatpay', body, headers);
        },
        () => `42000000002026112901${digits(8)}`,
        { appid: WECHAT_APP_ID, mchid: WECHAT_MCH_ID },
      ),
    TIMEOUT,
  );
});

/** Every `a` and `a.b` path of a JSON object, in a fixed order. */
function paths(value: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(value).flatMap(([k, v]) =>
    v && typeof v === 'object' ? [prefix + k, ...paths(v as Record<string, unknown>, `${prefix}${k}.`)] : [prefix + k],
  );
}

function parentOf(root: Record<string, unknown>, path: string): [Record<string, unknown>, string] {
  const parts = path.split('.');
  let node = root;
  for (const part of parts.slice(0, -1)) node = node[part] as Record<string, unknown>;
  return [node, parts.at(-1)!];
}

function dropPath(root: Record<string, unknown>, i: number) {
  const all = paths(root);
  const [node, key] = parentOf(root, all[i % all.length]!);
  Reflect.deleteProperty(node, key);
}

/** Turns a number into its string, a string into a number, an object into `null`. */
function retype(root: Record<string, unknown>, i: number, done: Set<string>) {
  const all = paths(root);
  if (all.length === 0) return;
  const path = all[i % all.length]!;
  if (done.has(path)) return;
  done.add(path);
  const [node, key] = parentOf(root, path);
  const value = node[key];
  node[key] = typeof value === 'number' ? String(value) : typeof value === 'string' ? Number(value) || 0 : null;
}
