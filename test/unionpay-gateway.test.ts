import { generateKeyPairSync } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import forge from 'node-forge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryStore, ProviderError, unionpay, type Order, type UnionpayOptions } from '../src/index.js';
import type { Provider } from '../src/spi/provider.js';
import { ownUnionpaySimulator, type OwnUnionpaySimulator } from './helpers/unionpay-simulator.js';

/**
 * How UnionPay's gateway calls fail, over real HTTP on 127.0.0.1. The simulator's fault injection
 * gives UnionPay's own refusals; a relay between paymount and the simulator alters what the
 * simulator answered where the fault is not UnionPay's to make (a changed byte, an unreadable
 * page, an answer about another order, an HTTP error).
 */

/** What the relay answers instead of the simulator's answer (given as text). */
type Rewrite = (answer: string) => string | { status: number; body: string };

interface Relay {
  /** The gateway base URL to configure. */
  url: string;
  /** Rewrites the next answer only. */
  once(rewrite: Rewrite): void;
  close(): Promise<void>;
}

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function listen(server: Server, scheme: 'http' | 'https'): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function stop(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** Forwards each request to the simulator and hands its answer back, rewritten when asked to. */
async function startRelay(target: string, tls?: { key: string; cert: string }): Promise<Relay> {
  const rewrites: Rewrite[] = [];
  const relay = async (req: IncomingMessage, res: ServerResponse) => {
    const upstream = await fetch(`${target}${req.url}`, {
      method: req.method,
      headers: { 'content-type': req.headers['content-type'] ?? '' },
      body: req.method === 'POST' ? await body(req) : undefined,
    });
    const text = await upstream.text();
    const rewrite = rewrites.shift();
    const out = rewrite ? rewrite(text) : text;
    const { status, body: answer } = typeof out === 'string' ? { status: upstream.status, body: out } : out;
    res.writeHead(status, { 'content-type': 'text/plain; charset=UTF-8' }).end(answer);
  };
  const handle = (req: IncomingMessage, res: ServerResponse) =>
    void relay(req, res).catch((error: unknown) => res.writeHead(500).end(`relay failed: ${String(error)}`));
  const server = tls ? createTlsServer(tls, handle) : createServer(handle);
  const url = await listen(server, tls ? 'https' : 'http');
  return { url, once: (rewrite) => void rewrites.push(rewrite), close: () => stop(server) };
}

/** The answer without its `name=…` field (raw ACP values have no `&` outside braces, and these fields no braces). */
function dropField(answer: string, name: string): string {
  return answer
    .split('&')
    .filter((pair) => !pair.startsWith(`${name}=`))
    .join('&');
}

const quiet = { info() {}, warn() {}, error() {} };

function providerFor(options: UnionpayOptions): Provider {
  return unionpay(options).setup({
    clock: () => new Date(),
    publicUrl: 'https://shop.example.com/pay',
    store: memoryStore(),
    logger: quiet,
  });
}

let counter = 0;
// Where the simulator sends result notifies: nothing listens there, and nothing here waits for them.
const NOTIFY_URL = 'http://127.0.0.1:9/pay/notify/unionpay';

interface Trade {
  order: Order;
  tradeNo: string;
  record: Record<string, string>;
  tn: string;
}

/** An app checkout through the provider: a `tn` and the record a query needs. */
async function appTrade(provider: Provider, amount = 100): Promise<Trade> {
  const order: Order = { id: `G${Date.now()}${String(++counter).padStart(4, '0')}`, amount, subject: 'Test order' };
  const out = await provider.checkout({
    order,
    tradeNo: order.id,
    channel: 'app',
    notifyUrl: NOTIFY_URL,
    refundNotifyUrl: `${NOTIFY_URL}/refund`,
    returnUrl: 'https://shop.example.com/pay/return/unionpay',
    resultUrl: 'https://shop.example.com/pay/result',
  });
  if (out.result.type !== 'app' || !out.record) throw new Error('expected an app checkout with a record');
  return { order, tradeNo: order.id, record: out.record, tn: out.result.params.tn! };
}

/** The buyer pays in the simulated UnionPay app control. */
async function pay(own: OwnUnionpaySimulator, trade: Trade): Promise<void> {
  const res = await fetch(`${own.baseUrl}/app/pay`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ params: { tn: trade.tn, mode: '01' }, action: 'pay' }),
  });
  expect(await res.json()).toMatchObject({ pay_result: 'success' });
}

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

let own: OwnUnionpaySimulator;
let relay: Relay;
let provider: Provider;

beforeAll(async () => {
  own = await ownUnionpaySimulator();
  relay = await startRelay(own.baseUrl);
  provider = providerFor({ ...own.sim.options, gateway: relay.url });
});
afterAll(async () => {
  await relay?.close();
  await own?.close();
});

describe('unionpay gateway: answers paymount will not trust', () => {
  it('a signed answer with one value changed is RESPONSE_SIGNATURE_INVALID: 502, not retryable', async () => {
    const trade = await appTrade(provider, 100);
    await pay(own, trade);
    expect(await provider.query(trade.tradeNo, trade.record)).toMatchObject({ status: 'paid', amount: 100 });

    relay.once((answer) => answer.replace(/(^|&)txnAmt=100(?=&|$)/, '$1txnAmt=1'));
    const error = await failure(provider.query(trade.tradeNo, trade.record));
    expect(error).toMatchObject({
      provider: 'unionpay',
      code: 'RESPONSE_SIGNATURE_INVALID',
      status: 502,
      retryable: false,
      providerCode: undefined,
    });
    expect(error.message).toMatch(/signature does not verify/);
  });

  it('a success answer without its signature is RESPONSE_SIGNATURE_INVALID too', async () => {
    const trade = await appTrade(provider);
    await pay(own, trade);
    relay.once((answer) => dropField(answer, 'signature'));
    const error = await failure(provider.query(trade.tradeNo, trade.record));
    expect(error).toMatchObject({ code: 'RESPONSE_SIGNATURE_INVALID', status: 502, retryable: false });
    expect(error.message).toMatch(/carries no signature/);
  });

  it('an answer that is not ACP k=v, or has no respCode, is RESPONSE_MALFORMED: 502, not retryable', async () => {
    const trade = await appTrade(provider);
    relay.once(() => '<html><body>Service temporarily unavailable</body></html>');
    const page = await failure(provider.query(trade.tradeNo, trade.record));
    expect(page).toMatchObject({ code: 'RESPONSE_MALFORMED', status: 502, retryable: false });
    expect(page.message).toMatch(/malformed pair/);

    relay.once((answer) => dropField(answer, 'respCode'));
    const noCode = await failure(provider.query(trade.tradeNo, trade.record));
    expect(noCode).toMatchObject({ code: 'RESPONSE_MALFORMED', status: 502, retryable: false });
    expect(noCode.message).toMatch(/no respCode/);
  });

  it('a verified answer about another order is RESPONSE_MISMATCH: 502, not retryable', async () => {
    const mine = await appTrade(provider, 300);
    const other = await appTrade(provider, 300);
    await pay(own, mine);
    await pay(own, other);
    let replayed = '';
    relay.once((answer) => (replayed = answer));
    expect(await provider.query(other.tradeNo, other.record)).toMatchObject({ status: 'paid', tradeNo: other.tradeNo });

    relay.once(() => replayed);
    const error = await failure(provider.query(mine.tradeNo, mine.record));
    expect(error).toMatchObject({ code: 'RESPONSE_MISMATCH', status: 502, retryable: false });
    expect(error.message).toContain(`about order ${other.tradeNo}, not ${mine.tradeNo}`);
  });
});

describe("unionpay gateway: UnionPay's own refusals", () => {
  it('is PROVIDER_REJECTED with respCode as providerCode, the detail as subCode, and 01–09 retryable', async () => {
    const trade = await appTrade(provider);
    own.sim.inject('00', '06', '系统繁忙[0600000]');
    expect(await failure(provider.query(trade.tradeNo, trade.record))).toMatchObject({
      code: 'PROVIDER_REJECTED',
      status: 502,
      providerCode: '06',
      subCode: '0600000',
      retryable: true,
    });
    own.sim.inject('00', '12', '重复交易[2010002]');
    const refused = await failure(provider.query(trade.tradeNo, trade.record));
    expect(refused).toMatchObject({
      code: 'PROVIDER_REJECTED',
      providerCode: '12',
      subCode: '2010002',
      retryable: false,
    });
    expect(refused.message).toContain('queryTrans failed: 12 重复交易[2010002]');

    own.sim.inject('01', '61', '超过金额限制[6100000]');
    expect(await failure(appTrade(provider))).toMatchObject({
      code: 'PROVIDER_REJECTED',
      providerCode: '61',
      subCode: '6100000',
      retryable: false,
    });
  });

  it('reads 34 as "not found" for a query, signed or not, and reports any other unsigned refusal as such', async () => {
    const trade = await appTrade(provider);
    expect(await provider.query(trade.tradeNo, trade.record)).toMatchObject({ status: 'not_found' });
    relay.once((answer) => dropField(dropField(answer, 'signature'), 'signPubKeyCert'));
    expect(await provider.query(trade.tradeNo, trade.record)).toMatchObject({ status: 'not_found' });

    own.sim.inject('00', '06', '系统繁忙[0600000]');
    relay.once((answer) => dropField(answer, 'signature'));
    expect(await failure(provider.query(trade.tradeNo, trade.record))).toMatchObject({
      code: 'PROVIDER_REJECTED',
      providerCode: '06',
      retryable: true,
    });
  });

  it('refunds: 03/04/05 is "in progress"; a refusal frees the refundId, an unreadable answer does not', async () => {
    const trade = await appTrade(provider, 1000);
    await pay(own, trade);
    const paid = await provider.query(trade.tradeNo, trade.record);
    const refund = (refundId: string, amount: number) =>
      provider.refund({
        order: trade.order,
        tradeNo: trade.tradeNo,
        refundId,
        amount,
        transactionId: paid.transactionId!,
        record: trade.record,
        notifyUrl: `${NOTIFY_URL}/refund`,
      });
    const queryRefund = (refundId: string) =>
      provider.queryRefund({ order: trade.order, tradeNo: trade.tradeNo, refundId, record: trade.record });

    own.sim.inject('04', '05', '交易处理中[0500000]');
    expect(await refund('r1', 100)).toMatchObject({ refundId: 'r1', status: 'processing', raw: { respCode: '05' } });

    own.sim.inject('04', '12', '重复交易[2010002]');
    expect(await failure(refund('r2', 100))).toMatchObject({
      code: 'PROVIDER_REJECTED',
      providerCode: '12',
      retryable: false,
    });
    expect(await queryRefund('r2')).toMatchObject({ status: 'failed' });
    expect(await refund('r2', 100)).toMatchObject({ status: 'processing', raw: { respCode: '00' } });

    // Neither an unreadable answer nor an unsigned refusal proves the refund was not taken: its state
    // is asked for (the simulator took r3; it never saw r4, which stays "processing" until it does).
    relay.once(() => 'not an answer');
    expect(await failure(refund('r3', 100))).toMatchObject({ code: 'RESPONSE_MALFORMED' });
    expect((await queryRefund('r3')).status).not.toBe('failed');
    own.sim.inject('04', '12', '重复交易[2010002]');
    relay.once((answer) => dropField(answer, 'signature'));
    expect(await failure(refund('r4', 100))).toMatchObject({ code: 'PROVIDER_REJECTED', providerCode: '12' });
    expect(await queryRefund('r4')).toMatchObject({ status: 'processing' });
  });
});

describe('unionpay gateway: HTTP and transport', () => {
  it('5xx is PROVIDER_UNAVAILABLE (retryable), another status PROVIDER_REJECTED HTTP_n (not retryable)', async () => {
    const trade = await appTrade(provider);
    relay.once(() => ({ status: 503, body: 'maintenance' }));
    expect(await failure(provider.query(trade.tradeNo, trade.record))).toMatchObject({
      code: 'PROVIDER_UNAVAILABLE',
      status: 503,
      providerCode: 'HTTP_503',
      retryable: true,
    });
    relay.once(() => ({ status: 404, body: 'not here' }));
    expect(await failure(provider.query(trade.tradeNo, trade.record))).toMatchObject({
      code: 'PROVIDER_REJECTED',
      status: 502,
      providerCode: 'HTTP_404',
      retryable: false,
    });
  });

  it('a gateway nobody listens on is PROVIDER_UNAVAILABLE, retryable', async () => {
    const trade = await appTrade(provider);
    const closed = createServer();
    const url = await listen(closed, 'http');
    await stop(closed);
    const error = await failure(providerFor({ ...own.sim.options, gateway: url }).query(trade.tradeNo, trade.record));
    expect(error).toMatchObject({ code: 'PROVIDER_UNAVAILABLE', status: 503, retryable: true });
    expect(error.message).toMatch(/could not reach/);
  });

  it('timeoutMs bounds a call to a gateway that never answers', async () => {
    const trade = await appTrade(provider);
    const silent = createServer(() => {});
    const url = await listen(silent, 'http');
    try {
      const slow = providerFor({ ...own.sim.options, gateway: url, timeoutMs: 300 });
      // Far beyond 300 ms and far short of the 10 s default: the configured timeout is the one applied.
      let timer: NodeJS.Timeout | undefined;
      const waited = new Promise<string>((resolve) => (timer = setTimeout(resolve, 5000, 'still waiting after 5 s')));
      const error = await Promise.race([slow.query(trade.tradeNo, trade.record).catch((e: unknown) => e), waited]);
      clearTimeout(timer);
      expect(error).toBeInstanceOf(ProviderError);
      expect(error).toMatchObject({ code: 'PROVIDER_UNAVAILABLE', retryable: true });
      expect((error as ProviderError).message).toMatch(/timed out/);
    } finally {
      await stop(silent);
    }
  });

  it('ca: a gateway behind TLS with its own CA is trusted when, and only when, ca names that CA', async () => {
    const tls = selfSignedTls();
    const https = await startRelay(own.baseUrl, tls);
    try {
      const trade = await appTrade(provider);
      const untrusted = providerFor({ ...own.sim.options, gateway: https.url });
      const error = await failure(untrusted.query(trade.tradeNo, trade.record));
      expect(error).toMatchObject({ code: 'PROVIDER_UNAVAILABLE' });
      const trusted = providerFor({ ...own.sim.options, gateway: https.url, ca: tls.cert });
      expect(await trusted.query(trade.tradeNo, trade.record)).toMatchObject({ status: 'not_found' });
    } finally {
      await https.close();
    }
  });
});

/** A self-signed certificate for 127.0.0.1, made now: the CA of the test's TLS gateway. */
function selfSignedTls(): { key: string; cert: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString());
  cert.serialNumber = '01';
  cert.validity.notBefore = new Date(Date.now() - 3600_000);
  cert.validity.notAfter = new Date(Date.now() + 24 * 3600_000);
  const name = [{ name: 'commonName', value: '127.0.0.1' }];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true },
    { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] },
  ]);
  const key = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  cert.sign(forge.pki.privateKeyFromPem(key), forge.md.sha256.create());
  return { key, cert: forge.pki.certificateToPem(cert) };
}
