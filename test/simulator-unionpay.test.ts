/**
 * The UnionPay simulator over real HTTP (startSandbox on 127.0.0.1). Requests are built and signed
 * here with node:crypto and the merchant pfx the sandbox hands out — not with paymount's client —
 * and everything the simulator sends is verified here under docs/providers/unionpay.md#verification
 * (chain, CN, signature).
 */
import {
  createHash,
  createPrivateKey,
  generateKeyPairSync,
  sign as rsaSign,
  verify as rsaVerify,
  X509Certificate,
  type KeyObject,
} from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import forge from 'node-forge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../src/sandbox/index.js';
import type { UnionpaySandboxOptions, UnionpaySimulator } from '../src/sandbox/unionpay/index.js';
import { parseForms } from './helpers/html-form.js';

// 12:00 Beijing time on the sandbox clock, so clearing-day rules never straddle 23:00 during a run.
const BASE = Date.parse('2026-11-25T04:00:00Z');
const started = Date.now();
let offsetMs = 0;
const clock = () => new Date(BASE + (Date.now() - started) + offsetMs);

/** `YYYYMMDDhhmmss` in Beijing time, computed here independently of src/core/time. */
function beijing(date: Date): string {
  return new Date(date.getTime() + 8 * 3_600_000).toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

let seq = 0;
const newOrderId = (prefix = 'UP') =>
  `${prefix}${Date.now().toString(36)}${String(++seq).padStart(4, '0')}`.toUpperCase();

interface Merchant {
  key: KeyObject;
  cert: X509Certificate;
  certId: string;
}

/** Opens a pfx with node-forge and returns the key and the certificate whose modulus matches it. */
function openPfx(pfx: Buffer, passphrase: string): { merchant: Merchant; certCount: number; certOids: string[] } {
  const asn1 = forge.asn1.fromDer(pfx.toString('binary'));
  const p12 = forge.pkcs12.pkcs12FromAsn1(asn1, passphrase);
  const keyBag = p12.getBags({ bagType: forge.pki.oids.pkcs8ShroudedKeyBag! })[
    forge.pki.oids.pkcs8ShroudedKeyBag!
  ]![0]!;
  const forgeKey = keyBag.key!;
  const certBags = p12.getBags({ bagType: forge.pki.oids.certBag! })[forge.pki.oids.certBag!]!;
  const match = certBags.find((bag) => (bag.cert!.publicKey as forge.pki.rsa.PublicKey).n.equals(forgeKey.n))!;
  const key = createPrivateKey(forge.pki.privateKeyToPem(forgeKey));
  const cert = new X509Certificate(forge.pki.certificateToPem(match.cert!));
  // The encryption OIDs of the safe contents, to tell the layouts apart.
  const certOids = p12.safeContents.map((safe) => (safe.encrypted ? 'encrypted' : 'plain'));
  return {
    merchant: { key, cert, certId: BigInt(`0x${cert.serialNumber}`).toString(10) },
    certCount: certBags.length,
    certOids,
  };
}

/** Spec §5: sorted k=v of non-empty fields except signature, SHA-256 lowercase hex, SHA256withRSA over the hex. */
function signingDigest(fields: Record<string, string>): string {
  const text = Object.keys(fields)
    .filter((k) => k !== 'signature' && fields[k] !== '')
    .sort()
    .map((k) => `${k}=${fields[k]}`)
    .join('&');
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function signRequest(merchant: Merchant, fields: Record<string, string>): Record<string, string> {
  const out = { version: '5.1.0', encoding: 'UTF-8', signMethod: '01', certId: merchant.certId, ...fields };
  return {
    ...out,
    signature: rsaSign('sha256', Buffer.from(signingDigest(out), 'ascii'), merchant.key).toString('base64'),
  };
}

/** Spec §6, as a merchant would check what UnionPay sends: validity, chain to middle and root, CN, signature. */
function verifyUnionpay(fields: Record<string, string>, rootPem: string, middlePem: string, now: Date): string | true {
  if (!fields.signature || !fields.signPubKeyCert) return 'missing signature or signPubKeyCert';
  const leaf = new X509Certificate(fields.signPubKeyCert);
  const middle = new X509Certificate(middlePem);
  const root = new X509Certificate(rootPem);
  for (const cert of [leaf, middle, root]) {
    if (now < new Date(cert.validFrom) || now > new Date(cert.validTo)) return 'certificate not valid now';
  }
  if (!leaf.checkIssued(middle) || !leaf.verify(middle.publicKey)) return 'leaf not issued by the middle CA';
  if (!middle.checkIssued(root) || !middle.verify(root.publicKey)) return 'middle not issued by the root CA';
  const cn = (leaf.toLegacyObject().subject as unknown as Record<string, string>).CN ?? '';
  if (cn.split('@')[2] !== '中国银联股份有限公司') return `CN ${cn} is not UnionPay's`;
  const ok = rsaVerify(
    'sha256',
    Buffer.from(signingDigest(fields), 'ascii'),
    leaf.publicKey,
    Buffer.from(fields.signature, 'base64'),
  );
  return ok || 'signature does not verify';
}

/**
 * The synchronous answer format: split on `&` and the first `=`, no URL-decoding
 * (docs/providers/unionpay.md#message-format).
 */
function parseRaw(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of text.split('&')) {
    const eq = pair.indexOf('=');
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

const formBody = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

async function postForm(url: string, fields: Record<string, string>): Promise<{ status: number; text: string }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8' },
    body: formBody(fields),
    redirect: 'manual',
  });
  return { status: res.status, text: await res.text() };
}

/** A tiny merchant endpoint: records every POST; `/flaky/*` answers 500 to the first attempt of each order. */
interface Received {
  path: string;
  raw: string;
  fields: Record<string, string>;
}
function startReceiver(): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const failedOnce = new Set<string>();
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const fields = Object.fromEntries(new URLSearchParams(raw));
      received.push({ path: req.url ?? '', raw, fields });
      if (req.url?.startsWith('/flaky') && !failedOnce.has(fields.orderId ?? '')) {
        failedOnce.add(fields.orderId ?? '');
        res.writeHead(500).end('database down');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received, server }),
    ),
  );
}

let sandbox: Sandbox;
/** The simulator object itself: fault injection and the PKI. */
const sim = (): UnionpaySimulator => sandbox.simulators.unionpay;
let options: UnionpaySandboxOptions;
let merchant: Merchant;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
const api = (path: string) => `${options.gateway}/gateway/api/${path}`;

beforeAll(async () => {
  sandbox = await startSandbox({ clock, timeScale: 0.0005 });
  options = sandbox.unionpay;
  merchant = openPfx(options.signCert.pfx, options.signCert.passphrase).merchant;
  receiver = await startReceiver();
});

afterAll(async () => {
  await sandbox?.close();
  await new Promise<void>((resolve) => (receiver ? receiver.server.close(() => resolve()) : resolve()));
});

function consumption(overrides: Record<string, string> = {}): Record<string, string> {
  const now = clock();
  return {
    txnType: '01',
    txnSubType: '01',
    bizType: '000201',
    channelType: '08',
    accessType: '0',
    currencyCode: '156',
    merId: options.merId,
    orderId: newOrderId(),
    txnTime: beijing(now),
    txnAmt: '1234',
    backUrl: `${receiver.url}/notify`,
    frontUrl: `${receiver.url}/front`,
    payTimeout: beijing(new Date(now.getTime() + 15 * 60_000)),
    riskRateInfo: '{commodityName=测试商品}',
    ...overrides,
  };
}

async function openCashier(fields: Record<string, string>) {
  const res = await postForm(api('frontTransReq.do'), signRequest(merchant, fields));
  expect(res.status, res.text).toBe(200);
  const forms = parseForms(res.text, options.gateway);
  expect(forms).toHaveLength(1);
  return forms[0]!;
}

async function cashier(form: ReturnType<typeof parseForms>[number], action: string) {
  return postForm(form.action, { ...form.fields, action });
}

async function query(orderId: string, txnTime: string) {
  const res = await postForm(
    api('queryTrans.do'),
    signRequest(merchant, {
      txnType: '00',
      txnSubType: '00',
      bizType: '000000',
      accessType: '0',
      merId: options.merId,
      orderId,
      txnTime,
    }),
  );
  expect(res.status).toBe(200);
  const fields = parseRaw(res.text);
  expect(verifyUnionpay(fields, options.rootCert, options.middleCert, clock())).toBe(true);
  return fields;
}

/** Pays one order through the cashier and returns the verified back notify. */
async function paidOrder(amount = '1000') {
  const fields = consumption({ txnAmt: amount, backUrl: `${receiver.url}/notify/paid` });
  await cashier(await openCashier(fields), 'pay');
  const delivery = await sandbox.waitForDelivery((d) => d.orderId === fields.orderId && d.kind === 'payment');
  expect(delivery.acknowledged).toBe(true);
  const notify = receiver.received.find((r) => r.fields.orderId === fields.orderId)!.fields;
  return { request: fields, queryId: notify.queryId! };
}

function backRequest(txnType: '04' | '31', origQryId: string, txnAmt: string, overrides: Record<string, string> = {}) {
  return signRequest(merchant, {
    txnType,
    txnSubType: '00',
    bizType: '000201',
    channelType: '07',
    accessType: '0',
    merId: options.merId,
    orderId: newOrderId('RF'),
    txnTime: beijing(clock()),
    txnAmt,
    origQryId,
    backUrl: `${receiver.url}/notify/refund`,
    ...overrides,
  });
}

describe('merchant pfx files', () => {
  it('both layouts open with node-forge and hold the merchant key matching its certificate, with a certId above 2^53', () => {
    for (const opts of [sandbox.unionpay, sandbox.unionpayLegacyPfx]) {
      const { merchant: m, certCount } = openPfx(opts.signCert.pfx, opts.signCert.passphrase);
      expect(certCount).toBe(3);
      expect(m.certId).toBe(merchant.certId);
      expect(BigInt(m.certId) > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
      expect(String(Number(m.certId))).not.toBe(m.certId); // a float certId loses digits
      const probe = Buffer.from('probe');
      expect(rsaVerify('sha256', probe, m.cert.publicKey, rsaSign('sha256', probe, m.key))).toBe(true);
      expect(m.cert.checkIssued(new X509Certificate(opts.middleCert))).toBe(true);
    }
    expect(() => openPfx(sandbox.unionpay.signCert.pfx, 'wrong')).toThrow();
  });

  it('the modern layout opens with OpenSSL 3; the legacy one (RC2-40) needs -legacy', () => {
    const dir = mkdtempSync(join(tmpdir(), 'paymount-up-'));
    try {
      const modern = join(dir, 'modern.p12');
      const legacy = join(dir, 'legacy.p12');
      writeFileSync(modern, sandbox.unionpay.signCert.pfx);
      writeFileSync(legacy, sandbox.unionpayLegacyPfx.signCert.pfx);
      // -info prints the algorithms on stderr and the PEMs on stdout.
      const info = (file: string, legacyFlag: boolean) => {
        const run = spawnSync(
          'openssl',
          ['pkcs12', ...(legacyFlag ? ['-legacy'] : []), '-in', file, '-passin', 'pass:000000', '-nodes', '-info'],
          { encoding: 'utf8' },
        );
        return `${run.status === 0 ? '' : 'FAILED '}${run.stdout}${run.stderr}`;
      };
      const modernInfo = info(modern, false);
      expect(modernInfo).toContain('BEGIN PRIVATE KEY');
      expect(modernInfo).toContain(`CN = 041@Z2014-11-11@${options.merId}:SIGN@00000001`);
      expect(info(legacy, false)).toMatch(/^FAILED[\s\S]*RC2-40-CBC/);
      const legacyInfo = info(legacy, true);
      expect(legacyInfo).toContain('BEGIN PRIVATE KEY');
      expect(legacyInfo).toMatch(/pbeWithSHA1And40BitRC2-CBC/);
      expect(legacyInfo).toMatch(/pbeWithSHA1And3-KeyTripleDES-CBC/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the signing leaf carries UnionPay CN, chains to middle and root, and goes out with CRLF line breaks', async () => {
    const res = await postForm(
      api('queryTrans.do'),
      signRequest(merchant, {
        txnType: '00',
        txnSubType: '00',
        bizType: '000000',
        accessType: '0',
        merId: options.merId,
        orderId: newOrderId(),
        txnTime: beijing(clock()),
      }),
    );
    const pem = parseRaw(res.text).signPubKeyCert!;
    expect(pem).toContain('\r\n');
    expect(pem.replace(/\r\n/g, '')).not.toContain('\n');
    const leaf = new X509Certificate(pem);
    expect(leaf.subject).toContain('CN=041@8310000000083040@中国银联股份有限公司@00016495');
    expect(leaf.verify(new X509Certificate(options.middleCert).publicKey)).toBe(true);
  });

  it('sandbox.simulators.unionpay exposes the same PKI', async () => {
    const res = await postForm(
      api('queryTrans.do'),
      signRequest(merchant, {
        txnType: '00',
        txnSubType: '00',
        bizType: '000000',
        accessType: '0',
        merId: options.merId,
        orderId: newOrderId(),
        txnTime: beijing(clock()),
      }),
    );
    expect(sim().pki.signingCertPem).toBe(parseRaw(res.text).signPubKeyCert);
    expect(sim().pki.certId).toBe(merchant.certId);
    expect(sim().pki.rootPem).toBe(options.rootCert);
  });
});

describe('frontTransReq.do (WAP)', () => {
  it('answers a good request with the cashier page: one form to /cashier with pay, fail and abandon', async () => {
    const res = await postForm(api('frontTransReq.do'), signRequest(merchant, consumption()));
    expect(res.status).toBe(200);
    const forms = parseForms(res.text, options.gateway);
    expect(forms).toHaveLength(1);
    expect(forms[0]!.method).toBe('POST');
    expect(forms[0]!.action).toBe(`${options.gateway}/cashier`);
    expect(forms[0]!.buttons).toEqual(['pay', 'fail', 'abandon']);
    expect(res.text).toContain('12.34');
  });

  it('refuses a tampered field: 11[9100004]', async () => {
    const signed = signRequest(merchant, consumption());
    const res = await postForm(api('frontTransReq.do'), { ...signed, txnAmt: '1' });
    expect(res.status).toBe(400);
    expect(res.text).toContain('11[9100004]');
    expect(parseForms(res.text, options.gateway)).toHaveLength(0);
  });

  it('refuses a signature made with another key', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const res = await postForm(api('frontTransReq.do'), signRequest({ ...merchant, key: privateKey }, consumption()));
    expect(res.text).toContain('11[9100004]');
  });

  it('refuses an unknown certId, and a certId rounded through a float', async () => {
    for (const certId of ['12345678901', String(Number(merchant.certId)), BigInt(merchant.certId).toString(16)]) {
      const res = await postForm(api('frontTransReq.do'), signRequest({ ...merchant, certId }, consumption()));
      expect(res.status).toBe(400);
      expect(res.text).toContain('11[9100003]');
    }
  });

  it('refuses a duplicate orderId (same merchant, same day): 12[2010002]', async () => {
    const fields = consumption();
    await openCashier(fields);
    const again = await postForm(api('frontTransReq.do'), signRequest(merchant, fields));
    expect(again.status).toBe(400);
    expect(again.text).toContain('12[2010002]');
    const laterSameDay = await postForm(
      api('frontTransReq.do'),
      signRequest(merchant, { ...fields, txnTime: beijing(new Date(clock().getTime() + 60_000)) }),
    );
    expect(laterSameDay.text).toContain('12[2010002]');
  });

  it('refuses a txnTime in server-local UTC (8 h off) and a malformed one, naming the cause', async () => {
    const utc = new Date(clock()).toISOString().replace(/[-:T]/g, '').slice(0, 14);
    const off = await postForm(api('frontTransReq.do'), signRequest(merchant, consumption({ txnTime: utc })));
    expect(off.status).toBe(400);
    expect(off.text).toContain('10[1000004]txnTime无效');
    expect(off.text).toContain('Beijing time');
    const twelveHour = await postForm(
      api('frontTransReq.do'),
      signRequest(merchant, consumption({ txnTime: '2026112512000' })),
    );
    expect(twelveHour.text).toContain('txnTime无效');
  });

  it('refuses wrong version, signMethod, merId, amount, orderId, empty fields and non-form bodies', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ ...signRequest(merchant, consumption()), version: '5.0.0' }, 'version=5.0.0'],
      [signRequest(merchant, { ...consumption(), merId: '777290058110097' }), 'belongs to merchant'],
      [signRequest(merchant, consumption({ txnAmt: '12.34' })), 'txnAmt=12.34'],
      [signRequest(merchant, consumption({ orderId: 'ORDER-1234' })), 'orderId=ORDER-1234'],
      [signRequest(merchant, consumption({ channelType: '09' })), 'channelType=09'],
      [signRequest(merchant, consumption({ reqReserved: '' })), 'reqReserved is empty'],
      [signRequest(merchant, consumption({ encoding: 'GBK' })), 'encoding=GBK'],
      [
        signRequest(merchant, consumption({ backUrl: '/relative/notify' })),
        'backUrl=/relative/notify must be an absolute',
      ],
      [
        signRequest(merchant, consumption({ frontUrl: 'ftp://shop.example/return' })),
        'frontUrl=ftp://shop.example/return',
      ],
      [
        signRequest(merchant, consumption({ payTimeout: beijing(new Date(clock().getTime() - 60_000)) })),
        'must be after txnTime',
      ],
    ];
    const signMethod11 = consumption();
    const signed11 = { ...signRequest(merchant, signMethod11), signMethod: '11' };
    cases.push([signed11, 'signMethod=11']);
    for (const [fields, message] of cases) {
      const res = await postForm(api('frontTransReq.do'), fields);
      expect(res.status, message).toBe(400);
      expect(res.text).toContain(message);
    }
    for (const body of ['txnType=01&txnType=01', 'orderId=%zz']) {
      const res = await fetch(api('frontTransReq.do'), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
      });
      expect(res.status).toBe(400);
      expect(await res.text()).toContain('10[1000003]');
    }
    const json = await fetch(api('frontTransReq.do'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(json.status).toBe(400);
    expect(await json.text()).toContain('application/x-www-form-urlencoded');
  });
});

describe('cashier', () => {
  it('pay: back notify (retried after a 500) that verifies (chain, CN, signature), and a signed front result to frontUrl', async () => {
    const fields = consumption({ backUrl: `${receiver.url}/flaky/notify`, reqReserved: 'cart=42|user=7' });
    const form = await openCashier(fields);
    const paid = await cashier(form, 'pay');
    expect(paid.status).toBe(200);

    const delivery = await sandbox.waitForDelivery((d) => d.orderId === fields.orderId);
    expect(delivery.kind).toBe('payment');
    expect(delivery.acknowledged).toBe(true);
    expect(delivery.attempts.map((a) => a.status)).toEqual([500, 200]);

    const notifies = receiver.received.filter((r) => r.path === '/flaky/notify' && r.fields.orderId === fields.orderId);
    expect(notifies).toHaveLength(2);
    const notify = notifies[1]!.fields;
    expect(verifyUnionpay(notify, options.rootCert, options.middleCert, clock())).toBe(true);
    expect(notify.signPubKeyCert).toContain('\r\n');
    expect(notify).toMatchObject({
      respCode: '00',
      txnType: '01',
      txnSubType: '01',
      merId: options.merId,
      txnAmt: '1234',
      txnTime: fields.txnTime,
      reqReserved: 'cart=42|user=7',
      currencyCode: '156',
      version: '5.1.0',
      signMethod: '01',
    });
    expect(notify.queryId).toMatch(/^\d{21}$/);
    expect(notify.queryId!.slice(2, 14)).toBe(fields.txnTime!.slice(2));
    expect(notify.certId).toBeUndefined();

    // The result page posts the signed result to frontUrl; its CRLF survives the HTML round trip.
    const [result] = parseForms(paid.text, options.gateway);
    expect(result!.action).toBe(fields.frontUrl);
    expect(result!.method).toBe('POST');
    expect(result!.fields.respCode).toBe('00');
    expect(result!.fields.queryId).toBe(notify.queryId);
    expect(verifyUnionpay(result!.fields, options.rootCert, options.middleCert, clock())).toBe(true);
    const front = await postForm(result!.action, result!.fields);
    expect(front.status).toBe(200);
    const received = receiver.received.find((r) => r.path === '/front' && r.fields.orderId === fields.orderId)!;
    expect(verifyUnionpay(received.fields, options.rootCert, options.middleCert, clock())).toBe(true);

    // Paying twice does nothing.
    const again = await cashier(form, 'pay');
    expect(again.status).toBe(409);
    expect(sandbox.deliveries.filter((d) => d.orderId === fields.orderId)).toHaveLength(1);
  });

  it('a tampered notify no longer verifies (the receiver check is real)', async () => {
    const { request } = await paidOrder('777');
    const notify = receiver.received.find((r) => r.fields.orderId === request.orderId)!.fields;
    expect(verifyUnionpay({ ...notify, txnAmt: '1' }, options.rootCert, options.middleCert, clock())).toBe(
      'signature does not verify',
    );
    expect(
      verifyUnionpay(
        { ...notify, signPubKeyCert: notify.signPubKeyCert!.replace(/\r\n/g, '\n') },
        options.rootCert,
        options.middleCert,
        clock(),
      ),
    ).toBe('signature does not verify');
    const foreign = await sim().pki.issueSigningCert({ foreign: true });
    expect(
      verifyUnionpay({ ...notify, signPubKeyCert: foreign.certPem }, options.rootCert, options.middleCert, clock()),
    ).toBe('leaf not issued by the middle CA');
    const otherCn = await sim().pki.issueSigningCert({ cn: '041@Z2017-11-1@00040000:SIGN@00000001' });
    expect(
      verifyUnionpay({ ...notify, signPubKeyCert: otherCn.certPem }, options.rootCert, options.middleCert, clock()),
    ).toMatch(/is not UnionPay's/);
    const expired = await sim().pki.issueSigningCert({
      notBefore: new Date(BASE - 3 * 365 * 86_400_000),
      notAfter: new Date(BASE - 86_400_000),
    });
    expect(
      verifyUnionpay({ ...notify, signPubKeyCert: expired.certPem }, options.rootCert, options.middleCert, clock()),
    ).toBe('certificate not valid now');
  });

  it('fail: a signed failure result to frontUrl and no back notify', async () => {
    const fields = consumption();
    const res = await cashier(await openCashier(fields), 'fail');
    expect(res.status).toBe(200);
    const [result] = parseForms(res.text, options.gateway);
    expect(result!.action).toBe(fields.frontUrl);
    expect(result!.fields.respCode).not.toBe('00');
    expect(result!.fields.orderId).toBe(fields.orderId);
    expect(verifyUnionpay(result!.fields, options.rootCert, options.middleCert, clock())).toBe(true);
    // A notify would have been handed to the notifier before the page was answered.
    expect(sandbox.deliveries.filter((d) => d.orderId === fields.orderId)).toHaveLength(0);
    const status = await query(fields.orderId!, fields.txnTime!);
    expect(status.respCode).toBe('00');
    expect(status.origRespCode).toBe('66');
  });

  it('abandon: a "you left" page, nothing sent, the order still unpaid (query 34)', async () => {
    const fields = consumption();
    const res = await cashier(await openCashier(fields), 'abandon');
    expect(res.status).toBe(200);
    expect(res.text).toContain('You left the payment');
    expect(parseForms(res.text, options.gateway)).toHaveLength(0);
    expect(sandbox.deliveries.filter((d) => d.orderId === fields.orderId)).toHaveLength(0);
    expect((await query(fields.orderId!, fields.txnTime!)).respCode).toBe('34');
  });

  it('enforces payTimeout: no payment after it, and the order stays unpaid', async () => {
    const now = clock();
    const fields = consumption({ payTimeout: beijing(new Date(now.getTime() + 60_000)) });
    const form = await openCashier(fields);
    offsetMs += 2 * 60_000;
    try {
      const late = await cashier(form, 'pay');
      expect(late.status).toBe(410);
      expect(late.text).toContain('Order expired');
      expect(sandbox.deliveries.filter((d) => d.orderId === fields.orderId)).toHaveLength(0);
      expect((await query(fields.orderId!, fields.txnTime!)).respCode).toBe('34');
    } finally {
      offsetMs -= 2 * 60_000;
    }
  });

  it('rejects unknown sessions and actions', async () => {
    expect((await postForm(`${options.gateway}/cashier`, { session: 'C0', action: 'pay' })).status).toBe(404);
    const form = await openCashier(consumption());
    expect((await cashier(form, 'steal')).status).toBe(400);
  });
});

describe('queryTrans.do', () => {
  it('34 before payment, then 00 with origRespCode 00 and the payment fields; by queryId too', async () => {
    const fields = consumption({ txnAmt: '2500' });
    const form = await openCashier(fields);
    const before = await query(fields.orderId!, fields.txnTime!);
    expect(before.respCode).toBe('34');
    expect(before.respMsg).toBe('查无此交易[2600000]');
    await cashier(form, 'pay');
    const after = await query(fields.orderId!, fields.txnTime!);
    expect(after).toMatchObject({
      respCode: '00',
      origRespCode: '00',
      txnType: '01',
      txnSubType: '01',
      txnAmt: '2500',
      orderId: fields.orderId,
      bizType: '000000',
      settleAmt: '2500',
    });
    expect(after.queryId).toMatch(/^\d{21}$/);
    expect(after.signPubKeyCert).toContain('\r\n'); // raw answer: CRLF and base64 "+" untouched
    const byId = await postForm(
      api('queryTrans.do'),
      signRequest(merchant, {
        txnType: '00',
        txnSubType: '02',
        bizType: '000000',
        accessType: '0',
        merId: options.merId,
        queryId: after.queryId!,
      }),
    );
    expect(parseRaw(byId.text)).toMatchObject({ respCode: '00', origRespCode: '00', orderId: fields.orderId });
  });

  it('keeps raw answers parseable: no & = { } [ ] from echoed input inside respMsg', async () => {
    const res = await postForm(
      api('queryTrans.do'),
      signRequest(merchant, {
        txnType: '00',
        txnSubType: '00',
        bizType: '000000',
        accessType: '0',
        merId: options.merId,
        orderId: 'ab[c{d=e',
        txnTime: beijing(clock()),
      }),
    );
    const fields = parseRaw(res.text);
    expect(fields.respCode).toBe('10');
    expect(fields.respMsg).toMatch(/^[^&={}[\]]*\[1000003\]$/);
    expect(verifyUnionpay(fields, options.rootCert, options.middleCert, clock())).toBe(true);
  });

  it('answers a bad signature with a signed 11', async () => {
    const signed = signRequest(merchant, {
      txnType: '00',
      txnSubType: '00',
      bizType: '000000',
      accessType: '0',
      merId: options.merId,
      orderId: newOrderId(),
      txnTime: beijing(clock()),
    });
    const res = await postForm(api('queryTrans.do'), { ...signed, orderId: newOrderId() });
    const fields = parseRaw(res.text);
    expect(fields.respCode).toBe('11');
    expect(verifyUnionpay(fields, options.rootCert, options.middleCert, clock())).toBe(true);
  });
});

describe('appTransReq.do and the app control', () => {
  const appRequest = (): Record<string, string> => {
    const fields = consumption({ orderDesc: 'App order' });
    delete fields.frontUrl;
    return fields;
  };
  const control = (tn: string, action: string, mode = '01') =>
    fetch(`${options.gateway}/app/pay`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ params: { tn, mode }, action }),
    });

  it('tn → control pay → back notify → query 00', async () => {
    const fields = appRequest();
    const res = await postForm(api('appTransReq.do'), signRequest(merchant, fields));
    expect(res.status).toBe(200);
    const answer = parseRaw(res.text);
    expect(verifyUnionpay(answer, options.rootCert, options.middleCert, clock())).toBe(true);
    expect(answer).toMatchObject({
      respCode: '00',
      respMsg: '成功[0000000]',
      orderId: fields.orderId,
      txnTime: fields.txnTime,
      merId: options.merId,
    });
    expect(answer.tn).toMatch(/^\d{21}$/);

    expect((await query(fields.orderId!, fields.txnTime!)).respCode).toBe('34');
    const cancel = await control(answer.tn!, 'cancel');
    expect(await cancel.json()).toEqual({ pay_result: 'cancel' });
    const payRes = await control(answer.tn!, 'pay');
    expect(await payRes.json()).toEqual({ pay_result: 'success' });

    const delivery = await sandbox.waitForDelivery((d) => d.orderId === fields.orderId);
    expect(delivery.acknowledged).toBe(true);
    const notify = receiver.received.find((r) => r.fields.orderId === fields.orderId)!.fields;
    expect(verifyUnionpay(notify, options.rootCert, options.middleCert, clock())).toBe(true);
    expect(notify.respCode).toBe('00');
    expect((await query(fields.orderId!, fields.txnTime!)).origRespCode).toBe('00');
  });

  it('control fail and bad control input', async () => {
    const fields = appRequest();
    const answer = parseRaw((await postForm(api('appTransReq.do'), signRequest(merchant, fields))).text);
    expect((await control(answer.tn!, 'pay', '00')).status).toBe(400);
    expect((await control('123456789012345678901', 'pay')).status).toBe(404);
    expect(await (await control(answer.tn!, 'fail')).json()).toEqual({ pay_result: 'fail' });
    expect(sandbox.deliveries.filter((d) => d.orderId === fields.orderId)).toHaveLength(0);
  });

  it('a duplicate orderId gets a signed 12 and no tn', async () => {
    const fields = appRequest();
    await postForm(api('appTransReq.do'), signRequest(merchant, fields));
    const again = parseRaw((await postForm(api('appTransReq.do'), signRequest(merchant, fields))).text);
    expect(again.respCode).toBe('12');
    expect(again.tn).toBeUndefined();
    expect(verifyUnionpay(again, options.rootCert, options.middleCert, clock())).toBe(true);
  });
});

describe('backTransReq.do: refund (04) and cancel (31)', () => {
  it('partial refunds are accepted, then notified to their own backUrl; over-refund is refused', async () => {
    const { queryId } = await paidOrder('1000');
    const first = backRequest('04', queryId, '600');
    const answer = parseRaw((await postForm(api('backTransReq.do'), first)).text);
    expect(verifyUnionpay(answer, options.rootCert, options.middleCert, clock())).toBe(true);
    expect(answer).toMatchObject({
      respCode: '00',
      txnType: '04',
      origQryId: queryId,
      orderId: first.orderId,
      txnAmt: '600',
    });
    expect(answer.queryId).toMatch(/^\d{21}$/);

    const delivery = await sandbox.waitForDelivery((d) => d.orderId === first.orderId);
    expect(delivery.kind).toBe('refund');
    expect(delivery.url).toBe(`${receiver.url}/notify/refund`);
    const notify = receiver.received.find((r) => r.fields.orderId === first.orderId)!.fields;
    expect(verifyUnionpay(notify, options.rootCert, options.middleCert, clock())).toBe(true);
    expect(notify).toMatchObject({
      respCode: '00',
      txnType: '04',
      origQryId: queryId,
      txnAmt: '600',
      queryId: answer.queryId,
    });
    const refundStatus = await query(first.orderId!, first.txnTime!);
    expect(refundStatus).toMatchObject({ respCode: '00', origRespCode: '00', txnType: '04' });

    const over = parseRaw((await postForm(api('backTransReq.do'), backRequest('04', queryId, '401'))).text);
    expect(over.respCode).toBe('33');
    expect(over.respMsg).toContain('1001 fen');
    const rest = parseRaw((await postForm(api('backTransReq.do'), backRequest('04', queryId, '400'))).text);
    expect(rest.respCode).toBe('00');
    const cancelAfterRefund = parseRaw(
      (await postForm(api('backTransReq.do'), backRequest('31', queryId, '1000'))).text,
    );
    expect(cancelAfterRefund.respCode).toBe('35');
  });

  it('refuses an unknown origQryId, a reused orderId and a tampered request', async () => {
    const unknown = parseRaw(
      (await postForm(api('backTransReq.do'), backRequest('04', '123456789012345678901', '1'))).text,
    );
    expect(unknown.respCode).toBe('35');
    expect(unknown.respMsg).toContain('[2011000]');
    const { request, queryId } = await paidOrder('500');
    const reused = parseRaw(
      (await postForm(api('backTransReq.do'), backRequest('04', queryId, '100', { orderId: request.orderId! }))).text,
    );
    expect(reused.respCode).toBe('12');
    const tampered = parseRaw(
      (await postForm(api('backTransReq.do'), { ...backRequest('04', queryId, '100'), txnAmt: '500' })).text,
    );
    expect(tampered.respCode).toBe('11');
  });

  it('cancel: full amount on the same clearing day, notified as txnType 31', async () => {
    const { queryId } = await paidOrder('800');
    const partial = parseRaw((await postForm(api('backTransReq.do'), backRequest('31', queryId, '799'))).text);
    expect(partial.respCode).toBe('36');
    const cancel = backRequest('31', queryId, '800');
    const answer = parseRaw((await postForm(api('backTransReq.do'), cancel)).text);
    expect(answer.respCode).toBe('00');
    const delivery = await sandbox.waitForDelivery((d) => d.orderId === cancel.orderId);
    expect(delivery.kind).toBe('cancel');
    const notify = receiver.received.find((r) => r.fields.orderId === cancel.orderId)!.fields;
    expect(verifyUnionpay(notify, options.rootCert, options.middleCert, clock())).toBe(true);
    expect(notify).toMatchObject({ respCode: '00', txnType: '31', origQryId: queryId });
    const twice = parseRaw((await postForm(api('backTransReq.do'), backRequest('31', queryId, '800'))).text);
    expect(twice.respCode).toBe('35');
    const refundAfterCancel = parseRaw(
      (await postForm(api('backTransReq.do'), backRequest('04', queryId, '100'))).text,
    );
    expect(refundAfterCancel.respCode).toBe('35');
  });

  it('cancel is refused on a later clearing day (refund instead)', async () => {
    const { queryId } = await paidOrder('300');
    offsetMs += 24 * 3_600_000;
    try {
      const late = parseRaw((await postForm(api('backTransReq.do'), backRequest('31', queryId, '300'))).text);
      expect(late.respCode).toBe('39');
      expect(late.respMsg).toContain('refund it instead');
      const refund = parseRaw((await postForm(api('backTransReq.do'), backRequest('04', queryId, '300'))).text);
      expect(refund.respCode).toBe('00');
    } finally {
      offsetMs -= 24 * 3_600_000;
    }
  });
});

describe('inject()', () => {
  it('03 on a refund: the sync answer is "unknown" but the refund still happens and is notified', async () => {
    const { queryId } = await paidOrder('900');
    sim().inject('04', '03', '交易通讯超时，请发起查询交易[0300000]');
    const refund = backRequest('04', queryId, '900');
    const answer = parseRaw((await postForm(api('backTransReq.do'), refund)).text);
    expect(answer).toMatchObject({ respCode: '03', respMsg: '交易通讯超时，请发起查询交易[0300000]' });
    const delivery = await sandbox.waitForDelivery((d) => d.orderId === refund.orderId);
    expect(delivery.acknowledged).toBe(true);
  });

  it('a refusal on 01 and 00, consumed after `times` calls', async () => {
    sim().inject('01', '06', undefined, 1);
    const first = consumption();
    delete first.frontUrl;
    const refused = parseRaw((await postForm(api('appTransReq.do'), signRequest(merchant, first))).text);
    expect(refused.respCode).toBe('06');
    expect(refused.tn).toBeUndefined();
    const fields = consumption();
    delete fields.frontUrl;
    expect(parseRaw((await postForm(api('appTransReq.do'), signRequest(merchant, fields))).text).respCode).toBe('00');

    sim().inject('00', '06', 'busy', 2);
    expect((await query(fields.orderId!, fields.txnTime!)).respCode).toBe('06');
    expect((await query(fields.orderId!, fields.txnTime!)).respCode).toBe('06');
    expect((await query(fields.orderId!, fields.txnTime!)).respCode).toBe('34');

    sim().inject('01', '94');
    const page = await postForm(api('frontTransReq.do'), signRequest(merchant, consumption()));
    expect(page.status).toBe(400);
    expect(page.text).toContain('94[9999999]');
  });
});

describe('routing', () => {
  it('404 for unknown paths, 405 for GET', async () => {
    expect((await fetch(`${options.gateway}/gateway/api/nothing.do`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(api('queryTrans.do'))).status).toBe(405);
  });
});
