import { createHash, sign, verify, type KeyObject } from 'node:crypto';
import type { CheckoutInput, Provider } from '../../src/spi/provider.js';
import type { CoreRequest, Order } from '../../src/spi/types.js';
import { unionpay } from '../../src/providers/unionpay/index.js';
import { createUnionpayPki, decimalSerial, type UnionpayPki } from '../../src/sandbox/unionpay/pki.js';
import { beijingTime, fenFromDigits, type PaidFacts } from '../bare-facts.js';
import { check, providerEnv, type Section } from '../section.js';

const MER_ID = '777290058110048';
const ORDER: Order = { id: 'ORDER20261125000001', amount: 8888, subject: '测试商品' };
const URLS = {
  notifyUrl: 'https://shop.example.com/pay/notify/unionpay',
  refundNotifyUrl: 'https://shop.example.com/pay/notify/unionpay/refund',
  returnUrl: 'https://shop.example.com/pay/return/unionpay',
};

type Fields = Record<string, string>;

/** ACP 5.1.0: sorted `k=v` of every non-empty field but `signature`; the RSA signature covers its SHA-256 hex. */
function digestOf(fields: Readonly<Fields>): string {
  const text = Object.keys(fields)
    .filter((k) => k !== 'signature' && fields[k] !== '')
    .sort()
    .map((k) => `${k}=${fields[k]}`)
    .join('&');
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

const encode = (fields: Readonly<Fields>): string =>
  Object.entries(fields)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&');

/** A paid back notification as UnionPay sends it, signed by the (generated) UnionPay signing leaf. */
function paymentNotify(pki: UnionpayPki): Fields {
  const fields: Fields = {
    accessType: '0',
    bizType: '000201',
    currencyCode: '156',
    encoding: 'UTF-8',
    merId: MER_ID,
    orderId: ORDER.id,
    queryId: '782611251750120674028',
    respCode: '00',
    respMsg: '成功[0000000]',
    settleAmt: '8888',
    settleCurrencyCode: '156',
    settleDate: '1125',
    signMethod: '01',
    traceNo: '067402',
    traceTime: '1125175012',
    txnAmt: '8888',
    txnSubType: '01',
    txnTime: '20261125175000',
    txnType: '01',
    version: '5.1.0',
    signPubKeyCert: pki.signing.pem,
  };
  return {
    ...fields,
    signature: sign('sha256', Buffer.from(digestOf(fields), 'utf8'), pki.signing.key).toString('base64'),
  };
}

export interface UnionpayBench {
  notify: Section;
  sign: Section;
}

export async function unionpaySections(): Promise<UnionpayBench> {
  const now = new Date();
  const pki = await createUnionpayPki(now, MER_ID);
  const provider: Provider = unionpay({
    merId: MER_ID,
    signCert: { pfx: pki.pfx, passphrase: pki.passphrase },
    middleCert: pki.middle.pem,
    rootCert: pki.root.pem,
    gateway: 'test',
  }).setup(providerEnv(() => now));

  // ---- notify ----
  const body = Buffer.from(encode(paymentNotify(pki)), 'utf8');
  const req: CoreRequest = {
    method: 'POST',
    path: '/notify/unionpay',
    query: new URLSearchParams(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    rawBody: body,
  };
  // A bare implementation with its certificate cache already filled (chain checked once, as paymount does).
  const trusted = new Map<string, { key: KeyObject; from: number; to: number }>([
    [
      pki.signing.pem,
      {
        key: pki.signing.x509.publicKey,
        from: Date.parse(pki.signing.x509.validFrom),
        to: Date.parse(pki.signing.x509.validTo),
      },
    ],
  ]);
  const bareNotify = (): PaidFacts => {
    const fields: Fields = {};
    for (const [k, v] of new URLSearchParams(body.toString('utf8'))) fields[k] = v;
    if (fields.signMethod !== '01' || !fields.signature) throw new Error('not certificate-signed');
    const cert = trusted.get(fields.signPubKeyCert!);
    const t = now.getTime();
    if (!cert || t < cert.from || t > cert.to) throw new Error('certificate');
    if (!verify('sha256', Buffer.from(digestOf(fields), 'utf8'), cert.key, Buffer.from(fields.signature, 'base64')))
      throw new Error('signature');
    if (fields.txnType !== '01' || (fields.respCode !== '00' && fields.respCode !== 'A6')) throw new Error('unpaid');
    return {
      orderId: fields.orderId!,
      transactionId: fields.queryId!,
      amount: fenFromDigits(fields.txnAmt),
      paidAt: beijingTime(fields.txnTime),
      foreign: fields.merId !== MER_ID || (fields.currencyCode ?? '156') !== '156',
    };
  };
  const notifyChecks: string[] = [];
  const event = await provider.parseNotify(req, 'payment');
  check(
    notifyChecks,
    `paymount parseNotify → ${event.type} (certificate chain checked once, then cached)`,
    event.type === 'paid' && event.amount === 8888,
  );
  check(
    notifyChecks,
    'bare verify + facts → 8888 fen, this merchant',
    bareNotify().amount === 8888 && !bareNotify().foreign,
  );
  const tampered = Buffer.from(body.toString('utf8').replace('txnAmt=8888', 'txnAmt=1'), 'utf8');
  const rejected = await provider.parseNotify({ ...req, rawBody: tampered }, 'payment').then(
    () => false,
    () => true,
  );
  check(notifyChecks, 'paymount rejects the same notify with txnAmt changed', rejected);

  // ---- request signing (WAP form) ----
  const merchantPublic = pki.merchant.x509.publicKey;
  const merchantKey = pki.merchant.key;
  const certId = decimalSerial(pki.merchant.x509);
  const input: CheckoutInput = {
    order: ORDER,
    channel: 'wap',
    ...URLS,
    tradeNo: ORDER.id,
    resultUrl: 'https://shop.example.com/pay/result',
  };
  const paymountSign = async (): Promise<Fields> => {
    const out = await provider.checkout(input);
    return out.result.type === 'form' ? out.result.fields : {};
  };
  const txnTime = (d: Date) => new Date(d.getTime() + 8 * 3600_000).toISOString().replace(/\D/g, '').slice(0, 14);
  const bareFields = (): Fields => ({
    version: '5.1.0',
    encoding: 'UTF-8',
    signMethod: '01',
    certId,
    accessType: '0',
    merId: MER_ID,
    txnType: '01',
    txnSubType: '01',
    bizType: '000201',
    channelType: '08',
    orderId: ORDER.id,
    txnTime: txnTime(now),
    txnAmt: String(ORDER.amount),
    currencyCode: '156',
    backUrl: URLS.notifyUrl,
    frontUrl: URLS.returnUrl,
    // The host's order id, echoed signed in the notify (docs/providers/unionpay.md#limits).
    reqReserved: `order:${encodeURIComponent(ORDER.id)}`,
  });
  const bareSign = (): Fields => {
    const fields = bareFields();
    fields.signature = sign('sha256', Buffer.from(digestOf(fields), 'utf8'), merchantKey).toString('base64');
    return fields;
  };
  const bareSignAsync = (): Promise<Fields> => {
    const fields = bareFields();
    return new Promise((resolve, reject) =>
      sign('sha256', Buffer.from(digestOf(fields), 'utf8'), merchantKey, (error, signature) =>
        error ? reject(error) : resolve({ ...fields, signature: signature.toString('base64') }),
      ),
    );
  };
  const signedOk = (fields: Fields) =>
    !!fields.signature &&
    verify('sha256', Buffer.from(digestOf(fields), 'utf8'), merchantPublic, Buffer.from(fields.signature, 'base64'));
  const signChecks: string[] = [];
  const fromPaymount = await paymountSign();
  check(signChecks, 'paymount WAP form verifies with the merchant certificate', signedOk(fromPaymount));
  const fromBare = bareSign();
  check(signChecks, 'bare form verifies', signedOk(fromBare));
  check(signChecks, 'bare async form verifies', signedOk(await bareSignAsync()));
  check(
    signChecks,
    'both sign the same field set',
    Object.keys(fromPaymount).sort().join() === Object.keys(fromBare).sort().join(),
  );

  return {
    notify: {
      title: `UnionPay notify verify (ACP 5.1.0, signPubKeyCert cached, ${body.length} B form body)`,
      note:
        'bare: URLSearchParams, signMethod, certificate looked up by its exact PEM in a pre-filled map, validity ' +
        'dates, SHA-256 hex of the sorted string, one crypto.verify, then the facts UnionPay tells merchants to ' +
        'check (txnType and respCode, txnAmt and currencyCode, ids, txnTime, merId).',
      cases: [
        {
          id: 'up.notify.paymount',
          label: 'paymount `provider.parseNotify`',
          run: () => provider.parseNotify(req, 'payment'),
        },
        { id: 'up.notify.bare', label: 'bare node:crypto', run: bareNotify },
      ],
      comparisons: [{ subject: 'up.notify.paymount', baseline: 'up.notify.bare', target: 0.9 }],
      checks: notifyChecks,
    },
    sign: {
      title: 'UnionPay request signing (WAP consumption form)',
      note:
        'bare: the same 16 fields, SHA-256 hex of the sorted string, one crypto.sign with a callback (on the libuv ' +
        'pool, awaited, as paymount signs: the baseline that does the same work) or synchronously (what the hand-off ' +
        'to the pool costs on one core).',
      cases: [
        { id: 'up.sign.paymount', label: 'paymount `provider.checkout` (wap)', run: paymountSign },
        { id: 'up.sign.bareAsync', label: 'bare node:crypto, callback sign on the pool', run: bareSignAsync },
        { id: 'up.sign.bare', label: 'bare node:crypto, synchronous sign', run: bareSign },
      ],
      comparisons: [
        { subject: 'up.sign.paymount', baseline: 'up.sign.bareAsync', target: 0.9 },
        { subject: 'up.sign.paymount', baseline: 'up.sign.bare' },
        { subject: 'up.sign.bareAsync', baseline: 'up.sign.bare' },
      ],
      checks: signChecks,
      everyTurn: true,
    },
  };
}
