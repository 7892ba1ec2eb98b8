import { X509Certificate } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SignatureError } from '../src/errors/index.js';
import * as rsa from '../src/wire/rsa.js';
import { createVerifier } from '../src/providers/unionpay/verify.js';
import {
  CLOCK,
  fixtureMiddle,
  fixtureSigner,
  fixtureText,
  foreignChain,
  leaf,
  opensslNotify,
  paymentNotify,
  signAsUnionpay,
} from './fixtures/unionpay/helpers.js';

// Count RSA verifies of messages: the module function is wrapped, its behaviour unchanged.
vi.mock('../src/wire/rsa.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../src/wire/rsa.js')>();
  return { ...original, rsaVerify: vi.fn(original.rsaVerify) };
});

const anchors = (production = false) => ({
  middle: new X509Certificate(fixtureText('up-middle.pem')),
  root: new X509Certificate(fixtureText('up-root.pem')),
  production,
});

function verifierAt(now: () => Date = () => CLOCK, production = false) {
  return createVerifier(anchors(production), now);
}

function rejection(run: () => void): SignatureError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(SignatureError);
    return error as SignatureError;
  }
  throw new Error('expected a SignatureError');
}

afterEach(() => {
  vi.restoreAllMocks();
  vi.mocked(rsa.rsaVerify).mockClear();
});

describe('unionpay verification', () => {
  it('accepts the openssl-signed notify', () => {
    expect(() => verifierAt()(opensslNotify())).not.toThrow();
  });

  it('accepts what paymount signs as UnionPay would', () => {
    expect(() => verifierAt()(signAsUnionpay(paymentNotify('T2027030100001', 100), fixtureSigner()))).not.toThrow();
  });

  it('rejects a tampered field', () => {
    const fields = { ...opensslNotify(), txnAmt: '1' };
    expect(rejection(() => verifierAt()(fields)).message).toMatch(/does not verify/);
  });

  it('rejects an added field (a query string merged into the form)', () => {
    const fields = { ...opensslNotify(), from: 'query' };
    expect(rejection(() => verifierAt()(fields)).message).toMatch(/does not verify/);
  });

  it('rejects a signPubKeyCert whose CR LF was turned into LF', () => {
    const fields = opensslNotify();
    fields.signPubKeyCert = fields.signPubKeyCert!.replace(/\r\n/g, '\n');
    expect(rejection(() => verifierAt()(fields)).message).toMatch(/line breaks/);
  });

  it('rejects a signPubKeyCert from a foreign CA with the same names', () => {
    const foreign = foreignChain();
    const signer = leaf(foreign.middle);
    const error = rejection(() => verifierAt()(signAsUnionpay(paymentNotify('T2027030100001', 100), signer)));
    expect(error.message).toMatch(/not issued by the configured middleCert/);
  });

  it('rejects a leaf that has expired at clock(), and a cached certificate once the clock passes its end', () => {
    const expired = leaf(
      fixtureMiddle(),
      undefined,
      new Date('2025-01-01T00:00:00Z'),
      new Date('2026-01-01T00:00:00Z'),
    );
    expect(
      rejection(() => verifierAt()(signAsUnionpay(paymentNotify('T2027030100001', 100), expired))).message,
    ).toMatch(/not valid at 2027-03-01/);

    let now = CLOCK;
    const verify = verifierAt(() => now);
    const fields = opensslNotify();
    verify(fields);
    now = new Date('2047-01-01T00:00:00Z');
    expect(rejection(() => verify(fields)).message).toMatch(/not valid at 2047/);
    now = new Date('2026-11-01T00:00:00Z');
    expect(rejection(() => verify(fields)).message).toMatch(/not valid at 2026-11-01/);
  });

  it("rejects a leaf without UnionPay's CN", () => {
    const middle = fixtureMiddle();
    for (const cn of ['041@8310000000083040@Some Trading Co@00016495', 'paymount-test', '041@中国银联股份有限公司']) {
      const error = rejection(() =>
        verifierAt()(signAsUnionpay(paymentNotify('T2027030100001', 100), leaf(middle, cn))),
      );
      expect(error.message).toMatch(/CN/);
    }
  });

  it('accepts the old test CN slot "00040000:SIGN" only outside production', () => {
    const signer = leaf(fixtureMiddle(), '041@Z2017-11-1@00040000:SIGN@00000001');
    const fields = signAsUnionpay(paymentNotify('T2027030100001', 100), signer);
    expect(() => verifierAt(() => CLOCK, false)(fields)).not.toThrow();
    expect(rejection(() => verifierAt(() => CLOCK, true)(fields)).message).toMatch(/CN/);
  });

  it('rejects messages without a certificate signature', () => {
    const { signPubKeyCert: _cert, ...noCert } = opensslNotify();
    expect(rejection(() => verifierAt()(noCert)).message).toMatch(/no signature or no signPubKeyCert/);
    expect(rejection(() => verifierAt()({ ...opensslNotify(), signMethod: '11' })).message).toMatch(/signMethod/);
    expect(rejection(() => verifierAt()({ ...opensslNotify(), signPubKeyCert: 'not a pem' })).message).toMatch(
      /not a PEM/,
    );
  });

  it('costs one RSA verify per message once its certificate is known', () => {
    const certVerify = vi.spyOn(X509Certificate.prototype, 'verify');
    const messageVerify = vi.mocked(rsa.rsaVerify);
    messageVerify.mockClear();
    const verify = verifierAt();
    const fields = opensslNotify();

    verify(fields);
    expect(certVerify).toHaveBeenCalledTimes(1); // leaf by middle; middle by root ran at configuration
    expect(messageVerify).toHaveBeenCalledTimes(1);

    for (let i = 0; i < 5; i++) verify(fields);
    expect(certVerify).toHaveBeenCalledTimes(1);
    expect(messageVerify).toHaveBeenCalledTimes(6);

    // A different PEM string is a different certificate: checked again, not trusted by similarity.
    expect(() => verify({ ...fields, signPubKeyCert: fields.signPubKeyCert!.replace(/\r\n/g, '\n') })).toThrow(
      SignatureError,
    );
    expect(certVerify).toHaveBeenCalledTimes(2);
  });
});
