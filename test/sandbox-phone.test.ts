import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { alipay, createPayments, unionpay, wechatpay, type Payments } from '../src/index.js';
import { startSandbox, type Sandbox, type SandboxOptions } from '../src/sandbox/index.js';
import { parseForms } from './helpers/html-form.js';
import { createShop, startApp, type RunningApp, type TestShop } from './helpers/shop.js';

/**
 * The sandbox for a real phone: it listens where it is told, hands out the URL the phone uses, and
 * keeps its keys in a state dir so that options pasted into a shop survive a restart. The "phone"
 * here is a loopback address other than the one the sandbox would name by default (127.0.0.2), so
 * a URL that still says 127.0.0.1 is caught.
 */

const PHONE_HOST = '127.0.0.2';
const dirs: string[] = [];
const running: { close(): Promise<void> }[] = [];

afterAll(async () => {
  for (const thing of running) await thing.close();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function stateDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'paymount-sandbox-state-'));
  dirs.push(dir);
  return dir;
}

async function start(options: SandboxOptions): Promise<Sandbox> {
  const sandbox = await startSandbox({ timeScale: 0.0005, ...options });
  running.push(sandbox);
  return sandbox;
}

/** A port free on every interface, with the next one free too (WeChat Pay's HTTPS listener takes it). */
async function freePort(): Promise<number> {
  const listen = (port: number) =>
    new Promise<number | undefined>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(undefined));
      server.listen(port, '0.0.0.0', () => {
        const { port: chosen } = server.address() as { port: number };
        server.close(() => resolve(chosen));
      });
    });
  for (;;) {
    const port = await listen(0);
    if (port !== undefined && port < 65535 && (await listen(port + 1)) !== undefined) return port;
  }
}

/** Everything a shop pastes from a sandbox: the options of every provider and variant. */
function pasted(sandbox: Sandbox) {
  return {
    alipay: sandbox.alipay,
    alipayCertificates: sandbox.alipayCertificates,
    wechatpay: sandbox.wechatpay,
    wechatpayV3Certificates: sandbox.wechatpayV3Certificates,
    wechatpayV2: sandbox.wechatpayV2,
    wechatpayV2Hmac: sandbox.wechatpayV2Hmac,
    unionpay: sandbox.unionpay,
    unionpayLegacyPfx: sandbox.unionpayLegacyPfx,
  };
}

const serial = (pem: string) => new X509Certificate(pem).serialNumber;

describe('startSandbox options', () => {
  it('refuses a public URL with a path, a non-http URL and a port out of range', async () => {
    await expect(startSandbox({ publicUrl: 'http://192.168.1.20:4000/sandbox' })).rejects.toThrow(
      /publicUrl must be an origin.*use http:\/\/192\.168\.1\.20:4000/,
    );
    await expect(startSandbox({ publicUrl: 'ftp://192.168.1.20' })).rejects.toThrow(/publicUrl must be an http\(s\)/);
    await expect(startSandbox({ port: 70000 })).rejects.toThrow(/port must be an integer/);
  });
});

/** Starts a sandbox in a new Node process with `keyCache`, and answers what it handed out. */
async function startInNewProcess(keyCache: string | false) {
  const script = `
    const { startSandbox } = await import(${JSON.stringify(new URL('../src/sandbox/index.ts', import.meta.url).href)});
    const sandbox = await startSandbox({ keyCache: ${JSON.stringify(keyCache)} });
    console.log(JSON.stringify({ alipayKey: sandbox.alipay.privateKey, wechatpay: sandbox.wechatpay }));
    await sandbox.close();`;
  const { stdout } = await promisify(execFile)(process.execPath, [
    '--import',
    'tsx',
    '--input-type=module',
    '-e',
    script,
  ]);
  return JSON.parse(stdout) as { alipayKey: string; wechatpay: Sandbox['wechatpay'] };
}

describe('the key cache', () => {
  it('gives the next process the keys of the first, under new certificates and ids', { timeout: 240_000 }, async () => {
    const dir = await stateDir();
    const first = await startInNewProcess(dir);
    expect((await stat(join(dir, 'keys.json'))).mode & 0o777).toBe(0o600);
    const second = await startInNewProcess(dir);
    expect(second.alipayKey).toBe(first.alipayKey);
    expect(second.wechatpay.v3?.privateKey).toBe(first.wechatpay.v3?.privateKey);
    expect(second.wechatpay.mchId).not.toBe(first.wechatpay.mchId);
    expect(second.wechatpay.v3?.certificateSerial).not.toBe(first.wechatpay.v3?.certificateSerial);
    // Damaged, it is ignored and remade.
    const cache = JSON.parse(await readFile(join(dir, 'keys.json'), 'utf8')) as { keys: Record<string, string[]> };
    cache.keys.alipay![0] = 'not a key';
    await writeFile(join(dir, 'keys.json'), JSON.stringify(cache));
    const third = await startInNewProcess(dir);
    expect(third.alipayKey).not.toBe(first.alipayKey);
    expect(third.wechatpay.v3?.privateKey).toBe(first.wechatpay.v3?.privateKey);
  });
});

describe('a state dir', () => {
  it(
    'keeps keys, certificates and ids across starts; a fixed port keeps every gateway',
    { timeout: 180_000 },
    async () => {
      const dir = await stateDir();
      const port = await freePort();
      const first = await start({ stateDir: dir, port });
      const before = pasted(first);
      await first.close();
      const second = await start({ stateDir: dir, port });
      const after = pasted(second);
      expect(after).toEqual(before);
      // The same certificate serials, read from the certificates themselves (not only equal text).
      expect(serial(after.alipayCertificates.certificates.appCert)).toBe(
        serial(before.alipayCertificates.certificates.appCert),
      );
      expect(after.wechatpay.v3?.certificateSerial).toBe(before.wechatpay.v3?.certificateSerial);
      expect(second.simulators.unionpay.pki.certId).toBe(first.simulators.unionpay.pki.certId);
      expect(after.wechatpayV2.gateway).toBe(`https://127.0.0.1:${port + 1}`);

      // One 0600 file per simulator, and a .gitignore that keeps them out of the shop's repository.
      expect((await readdir(dir)).sort()).toEqual(['.gitignore', 'alipay.json', 'unionpay.json', 'wechatpay.json']);
      for (const name of ['alipay.json', 'wechatpay.json', 'unionpay.json'])
        expect((await stat(join(dir, name))).mode & 0o777).toBe(0o600);
      expect((await stat(dir)).mode & 0o777).toBe(0o700);
    },
  );

  it('without one, every start issues new certificates, merchant numbers and pfx files', async () => {
    const one = pasted(await start({}));
    const two = pasted(await start({}));
    expect(serial(two.alipayCertificates.certificates.appCert)).not.toBe(
      serial(one.alipayCertificates.certificates.appCert),
    );
    expect(two.wechatpay.mchId).not.toBe(one.wechatpay.mchId);
    expect(two.wechatpay.v3?.certificateSerial).not.toBe(one.wechatpay.v3?.certificateSerial);
    expect(two.unionpay.signCert.pfx.equals(one.unionpay.signCert.pfx)).toBe(false);
  });

  it('refuses a file it cannot read with its name and the way out', async () => {
    const dir = await stateDir();
    await writeFile(join(dir, 'unionpay.json'), '{"format": 1, "identity": {"merId": 1}}');
    await expect(startSandbox({ stateDir: dir })).rejects.toThrow(
      /unionpay\.json is not a paymount sandbox identity.*identity\.merId.*delete the file/,
    );
  });
});

/**
 * A buyer's browser: follows redirects and forms from the shop's checkout link, pressing `pay` on the
 * cashier, until a page without forms (the shop's result page). Every URL it is sent to must be on
 * one of the `reachable` origins, as a phone reaches only the addresses it is given.
 */
async function buyerPays(checkoutLink: string, reachable: string[]): Promise<{ visited: string[]; page: string }> {
  const visited: string[] = [];
  let next: { url: string; body?: string } = { url: checkoutLink };
  for (let step = 0; step < 12; step++) {
    visited.push(next.url);
    expect(reachable, `the buyer was sent to ${next.url}`).toContain(new URL(next.url).origin);
    const res = await fetch(next.url, {
      method: next.body === undefined ? 'GET' : 'POST',
      headers: next.body === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' },
      body: next.body,
      redirect: 'manual',
    });
    const location = res.headers.get('location');
    if (location) {
      next = { url: new URL(location, next.url).href };
      continue;
    }
    const html = await res.text();
    expect(res.status, html).toBe(200);
    const forms = parseForms(html, next.url);
    if (forms.length === 0) return { visited, page: html };
    const form = forms.find((f) => f.buttons.includes('pay')) ?? forms[0]!;
    const fields = new URLSearchParams(form.buttons.includes('pay') ? { ...form.fields, action: 'pay' } : form.fields);
    next =
      form.method === 'GET'
        ? { url: `${form.action.split('?')[0]}?${fields.toString()}` }
        : { url: form.action, body: fields.toString() };
  }
  throw new Error(`no result page after 12 steps: ${visited.join(' → ')}`);
}

describe("on the phone's address", () => {
  let sandbox: Sandbox;
  let publicUrl: string;
  let before: ReturnType<typeof pasted>;
  let app: RunningApp;
  let shop: TestShop;
  let payments: Payments;

  it(
    'hands out its public URL in every gateway, and the options of the first start after a restart',
    { timeout: 180_000 },
    async () => {
      const dir = await stateDir();
      const port = await freePort();
      publicUrl = `http://${PHONE_HOST}:${port}`;
      const first = await start({ host: '0.0.0.0', port, publicUrl, stateDir: dir });
      before = pasted(first);
      await first.close();
      sandbox = await start({ host: '0.0.0.0', port, publicUrl, stateDir: dir });

      expect(sandbox.url).toBe(publicUrl);
      expect(sandbox.alipay.gateway).toBe(`${publicUrl}/alipay/gateway.do`);
      expect(sandbox.wechatpay.gateway).toBe(`${publicUrl}/wechatpay`);
      expect(sandbox.unionpay.gateway).toBe(`${publicUrl}/unionpay`);
      expect(sandbox.wechatpayV2.gateway).toBe(`https://${PHONE_HOST}:${port + 1}`);
      expect(JSON.stringify(pasted(sandbox))).not.toContain('127.0.0.1');

      // The shop keeps what it pasted from the first start.
      app = await startApp('express');
      running.push(app);
      shop = createShop();
      payments = createPayments({
        publicUrl: app.publicUrl,
        providers: {
          alipay: alipay(before.alipay),
          wechatpay: wechatpay(before.wechatpay),
          unionpay: unionpay(before.unionpay),
        },
        ...shop.hooks,
        logger: false,
      });
      app.use(payments);
    },
  );

  it.each(['alipay', 'wechatpay', 'unionpay'] as const)(
    '%s: the buyer pays on the cashier at the public URL, the shop is notified once',
    async (provider) => {
      const order = shop.addOrder({ amount: 2345, subject: 'Phone test' });
      const { visited, page } = await buyerPays(`${app.publicUrl}/checkout/${provider}?orderId=${order.id}`, [
        app.origin,
        publicUrl,
      ]);
      // The cashier was opened at the public URL, and the buyer came back to the shop's result page.
      expect(visited.some((url) => url.startsWith(`${publicUrl}/${provider}/`))).toBe(true);
      expect(visited.at(-1)?.startsWith(app.origin)).toBe(true);
      await sandbox.waitForDelivery(
        (d) => d.provider === provider && d.kind === 'payment' && d.orderId === order.id && d.acknowledged,
      );
      expect(page).not.toMatch(/error/i);
      expect(shop.paid.filter((p) => p.orderId === order.id)).toEqual([
        expect.objectContaining({ orderId: order.id, amount: 2345, provider }),
      ]);
    },
  );

  it("answers the shop's queries, signed with the keys of the first start", async () => {
    expect(shop.paid).toHaveLength(3);
    for (const paid of shop.paid)
      await expect(payments.query(paid.provider, paid.orderId)).resolves.toMatchObject({ status: 'paid' });
  });
});
